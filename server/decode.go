package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// decodeBody reads a JSON request body into v: 413 beyond the size limit,
// 400 for malformed JSON, nesting deeper than maxDepth, or values of the
// wrong type (naming the field).
func decodeBody(r *http.Request, v any, maxDepth int) error {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &apiError{Status: http.StatusRequestEntityTooLarge, Type: "invalid_request_error",
				Message: fmt.Sprintf("The request body is larger than the limit of %d bytes.", mbe.Limit)}
		}
		return errInvalid("", "Reading the request body: %v", err)
	}
	return decodeJSON(b, v, maxDepth)
}

// decodeJSON is decodeBody's check-and-unmarshal, without the reading.
func decodeJSON(b []byte, v any, maxDepth int) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return errInvalid("", "The request body is empty; it must be a JSON object.")
	}
	if err := checkDepth(b, maxDepth); err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			field := strings.TrimPrefix(te.Field, "samplingFields.")
			if field == "" {
				return errInvalid("", "The request body must be a JSON object, not %s.", te.Value)
			}
			return errInvalid(field, "Invalid type for '%s': expected %s, but got %s.", field, goTypeName(te.Type.String()), te.Value)
		}
		var ae *apiError
		if errors.As(err, &ae) {
			return ae
		}
		return errInvalid("", "We could not parse the JSON body of your request (%v). The body must be a JSON object.", err)
	}
	return nil
}

func goTypeName(t string) string {
	switch {
	case strings.HasPrefix(t, "[]"), strings.HasPrefix(t, "*[]"):
		return "an array"
	case strings.Contains(t, "int"):
		return "an integer"
	case strings.Contains(t, "float"):
		return "a number"
	case strings.Contains(t, "string"):
		return "a string"
	case strings.Contains(t, "bool"):
		return "a boolean"
	}
	return "an object"
}

// checkDepth refuses JSON nested deeper than max arrays and objects.
func checkDepth(b []byte, max int) error {
	depth := 0
	inStr, esc := false, false
	for _, c := range b {
		if inStr {
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
		case '{', '[':
			depth++
			if depth > max {
				return errInvalid("", "The request JSON is nested deeper than %d levels.", max)
			}
		case '}', ']':
			depth--
		}
	}
	return nil
}

// stringOrList decodes a JSON string or array of strings (stop sequences).
type stringOrList []string

func (s *stringOrList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*s = nil
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var one string
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*s = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errInvalid("stop", "Invalid type for 'stop': expected a string or an array of strings.")
	}
	*s = many
	return nil
}
