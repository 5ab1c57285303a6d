package server

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/hearthlm/hearth/chat"
	"github.com/hearthlm/hearth/engine"
	"github.com/hearthlm/hearth/sample"
)

// constrain sets up constrained sampling. tool_choice "required" or a
// named function compiles the offered tools (the named one alone) into a
// grammar of one call in the tool-call format of the model's template, so
// the reply is a valid call whatever the model would have said; it takes
// precedence over response_format. Otherwise response_format json_object
// and json_schema compile to a grammar that masks the tokens that cannot
// continue a valid document.
func (s *Server) constrain(lm *loadedModel, g *genRequest, rf *responseFormat, mode string, tools []json.RawMessage, fname string) error {
	if mode == "required" || mode == "function" {
		gr, f, err := toolCallGrammar(g.format, tools, s.cfg.Logger.Printf)
		if err != nil {
			return err
		}
		g.format = f
		s.useGrammar(lm, g, gr)
		// Stop strings could cut the call short; the grammar ends the
		// generation once the call is complete.
		g.stop = nil
		return nil
	}
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
	// Stop strings stay in force, as OpenAI keeps them with structured
	// output: one that occurs in the document ends it there (finish_reason
	// "stop"). The compact JSON the grammar allows has no raw newlines or
	// spaces between tokens, so the usual stop strings never cut it.
	s.useGrammar(lm, g, gr)
	return nil
}

func (s *Server) useGrammar(lm *loadedModel, g *genRequest, gr *sample.Grammar) {
	pieces := lm.tokenPieces()
	tok := lm.m.Tokenizer
	g.constraint = func() engine.Constraint { return gr.NewMatcher(pieces, tok.IsEOG) }
}

// toolCallGrammar is the grammar of one call to one of tools in format f's
// tool-call syntax: the name one of the offered names, the arguments an
// object valid under that tool's parameters schema. Formats it has no
// grammar for (or no format: a template without tool calls, or none) use
// the Hermes syntax, and the reply is parsed as Hermes. It returns the
// format to parse the reply with.
func toolCallGrammar(f *chat.Format, tools []json.RawMessage, logf func(string, ...any)) (*sample.Grammar, *chat.Format, error) {
	var nf chat.Format
	if f != nil {
		nf = *f
	}
	switch nf.Tools {
	case chat.ToolsHermes, chat.ToolsMistral, chat.ToolsMistralArgs, chat.ToolsLlama3,
		chat.ToolsFunctionary, chat.ToolsKimiK2, chat.ToolsDeepSeek:
	default:
		nf.Tools = chat.ToolsHermes
	}
	var calls []*sample.Grammar
	for i, t := range tools {
		var td toolDef
		if err := json.Unmarshal(t, &td); err != nil || td.Function.Name == "" {
			return nil, nil, errInvalid("tools["+strconv.Itoa(i)+"]", "Invalid tool: expected {\"type\":\"function\",\"function\":{\"name\":…,\"parameters\":{…}}}.")
		}
		name := td.Function.Name
		params := bytes.TrimSpace(td.Function.Parameters)
		if len(params) == 0 || bytes.Equal(params, []byte("null")) {
			params = []byte(`{"type":"object"}`)
		}
		args, err := sample.CompileJSONSchema(params)
		if err != nil {
			// The call still parses; only the arguments' shape is left
			// to the model.
			logf("hearth serve: tool %s: arguments not constrained beyond a JSON object: %v", name, err)
			args, params = sample.JSONObjectGrammar(), []byte(`{"type":"object"}`)
		}
		qname, _ := json.Marshal(name)
		object := func(argsKey string) (*sample.Grammar, error) {
			return sample.CompileJSONSchema([]byte(`{"type":"object","properties":{"name":{"const":` + string(qname) +
				`},"` + argsKey + `":` + string(params) + `},"required":["name","` + argsKey + `"]}`))
		}
		var call *sample.Grammar
		switch nf.Tools {
		case chat.ToolsHermes:
			o, err := object("arguments")
			if err != nil {
				return nil, nil, errInvalid("tools["+strconv.Itoa(i)+"]", "Invalid tool: %v", err)
			}
			call = sample.Sequence(sample.Literal("<tool_call>\n"), o, sample.Literal("\n</tool_call>"))
		case chat.ToolsMistral:
			o, err := object("arguments")
			if err != nil {
				return nil, nil, errInvalid("tools["+strconv.Itoa(i)+"]", "Invalid tool: %v", err)
			}
			call = sample.Sequence(sample.Literal("[TOOL_CALLS]["), o, sample.Literal("]"))
		case chat.ToolsLlama3:
			o, err := object("parameters")
			if err != nil {
				return nil, nil, errInvalid("tools["+strconv.Itoa(i)+"]", "Invalid tool: %v", err)
			}
			call = o
		case chat.ToolsMistralArgs:
			call = sample.Sequence(sample.Literal("[TOOL_CALLS]"+name+"[ARGS]"), args)
		case chat.ToolsFunctionary:
			call = sample.Sequence(sample.Literal("<function="+name+">"), args, sample.Literal("</function>"))
		case chat.ToolsKimiK2:
			call = sample.Sequence(sample.Literal("<|tool_calls_section_begin|><|tool_call_begin|>functions."+name+":0<|tool_call_argument_begin|>"),
				args, sample.Literal("<|tool_call_end|><|tool_calls_section_end|>"))
		case chat.ToolsDeepSeek:
			call = sample.Sequence(sample.Literal("<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>"+name+"<｜tool▁sep｜>"),
				args, sample.Literal("<｜tool▁call▁end｜><｜tool▁calls▁end｜>"))
		}
		calls = append(calls, call)
	}
	if len(calls) == 0 {
		return nil, nil, errInvalid("tool_choice", "tool_choice needs tools.")
	}
	gr := sample.Choice(calls...)
	if nf.ThinkInPrompt && nf.ThinkEnd != "" {
		// The prompt opened a think block: close it at once, so that the
		// call is the reply and not reasoning.
		gr = sample.Sequence(sample.Literal(nf.ThinkEnd+"\n\n"), gr)
	}
	return gr, &nf, nil
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
