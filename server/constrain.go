package server

import "encoding/json"

// constrain sets up constrained sampling for response_format and for
// tool_choice "required" or a named function.
func (s *Server) constrain(lm *loadedModel, g *genRequest, rf *responseFormat, mode string, tools []json.RawMessage, fname string) error {
	if rf != nil {
		switch rf.Type {
		case "", "text":
		case "json_object", "json_schema":
			return errInvalid("response_format", "response_format %q is not supported yet.", rf.Type)
		default:
			return errInvalid("response_format.type", "Invalid value: '%s'. Supported values are: 'text', 'json_object' and 'json_schema'.", rf.Type)
		}
	}
	return nil
}
