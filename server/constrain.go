package server

import (
	"encoding/json"

	"github.com/hearthlm/hearth/engine"
	"github.com/hearthlm/hearth/sample"
)

// constrain sets up constrained sampling for response_format: json_object
// and json_schema compile to a grammar that masks the tokens that cannot
// continue a valid document. tool_choice "required" or a named function is
// not constrained yet: the tools are offered (a named one alone) and the
// reply is parsed as usual.
func (s *Server) constrain(lm *loadedModel, g *genRequest, rf *responseFormat, mode string, tools []json.RawMessage, fname string) error {
	if rf == nil {
		return nil
	}
	var gr *sample.Grammar
	switch rf.Type {
	case "", "text":
		return nil
	case "json_object":
		gr = sample.JSONObjectGrammar()
	case "json_schema":
		if rf.JSONSchema == nil || len(rf.JSONSchema.Schema) == 0 {
			return errInvalid("response_format.json_schema", "Missing required parameter: 'response_format.json_schema.schema'.")
		}
		var err error
		if gr, err = sample.CompileJSONSchema(rf.JSONSchema.Schema); err != nil {
			return errInvalid("response_format.json_schema.schema", "Invalid schema for response_format: %v", err)
		}
	default:
		return errInvalid("response_format.type", "Invalid value: '%s'. Supported values are: 'text', 'json_object' and 'json_schema'.", rf.Type)
	}
	pieces := lm.tokenPieces()
	tok := lm.m.Tokenizer
	g.constraint = func() engine.Constraint { return gr.NewMatcher(pieces, tok.IsEOG) }
	// Stop strings could cut the document short.
	g.stop = nil
	return nil
}

// tokenPieces are the bytes of every token id, for grammars.
func (lm *loadedModel) tokenPieces() [][]byte {
	lm.piecesOnce.Do(func() {
		n := lm.m.Net.Info().Vocab
		tok := lm.m.Tokenizer
		lm.pieces = make([][]byte, n)
		for id := range min(n, tok.VocabSize()) {
			if tok.IsControl(int32(id)) {
				continue
			}
			lm.pieces[id] = tok.Piece(int32(id))
		}
	})
	return lm.pieces
}
