package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/hearthlm/hearth/engine"
)

// apiError is an error as OpenAI returns it:
// {"error":{"message","type","param","code"}} with an HTTP status.
type apiError struct {
	Status  int
	Message string
	Type    string
	Param   string
	Code    string
	model   string // the unknown model, for Ollama's message
}

func (e *apiError) Error() string { return e.Message }

func (e *apiError) MarshalJSON() ([]byte, error) {
	var param, code any
	if e.Param != "" {
		param = e.Param
	}
	if e.Code != "" {
		code = e.Code
	}
	return json.Marshal(map[string]any{"error": map[string]any{
		"message": e.Message, "type": e.Type, "param": param, "code": code,
	}})
}

func errInvalid(param, format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Type: "invalid_request_error", Param: param,
		Message: fmt.Sprintf(format, args...)}
}

func errInternal(msg string) *apiError {
	return &apiError{Status: http.StatusInternalServerError, Type: "server_error", Message: msg}
}

func errModelNotFound(name string) *apiError {
	return &apiError{Status: http.StatusNotFound, Type: "invalid_request_error", Param: "model", Code: "model_not_found", model: name,
		Message: fmt.Sprintf("The model `%s` does not exist or you do not have access to it.", name)}
}

// engineError maps scheduler errors to API errors; param names the field
// that holds the prompt.
func engineError(err error, param string) *apiError {
	var ae *apiError
	var ce *engine.ContextError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &ce):
		return &apiError{Status: http.StatusBadRequest, Type: "invalid_request_error", Param: param,
			Code: "context_length_exceeded", Message: ce.Error() + ". Shorten the prompt or lower max_tokens."}
	case errors.Is(err, engine.ErrQueueFull):
		return &apiError{Status: http.StatusTooManyRequests, Type: "requests", Code: "rate_limit_exceeded",
			Message: "Too many requests are waiting for this model; retry later."}
	case errors.Is(err, engine.ErrClosed):
		return &apiError{Status: http.StatusServiceUnavailable, Type: "server_error", Code: "model_unloaded",
			Message: "The model was unloaded while the request ran; retry."}
	}
	return errInternal(err.Error())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(errInternal("encoding the response: " + err.Error()))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = errInternal(err.Error())
	}
	if ae.Status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, ae.Status, ae)
}
