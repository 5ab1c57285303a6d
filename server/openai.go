package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/hearthlm/hearth/chat"
	"github.com/hearthlm/hearth/engine"
	"github.com/hearthlm/hearth/sample"
)

// samplingFields are the sampling parameters chat and text completions share.
type samplingFields struct {
	MaxTokens           *int         `json:"max_tokens"`
	MaxCompletionTokens *int         `json:"max_completion_tokens"`
	Temperature         *float64     `json:"temperature"`
	TopP                *float64     `json:"top_p"`
	TopK                *int         `json:"top_k"` // extension (llama.cpp, vLLM)
	MinP                *float64     `json:"min_p"` // extension
	RepeatPenalty       *float64     `json:"repeat_penalty"`
	Seed                *int64       `json:"seed"`
	Stop                stringOrList `json:"stop"`
	N                   *int         `json:"n"`
	PresencePenalty     *float64     `json:"presence_penalty"`
	FrequencyPenalty    *float64     `json:"frequency_penalty"`
	Stream              bool         `json:"stream"`
	StreamOptions       *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	User string `json:"user"`
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// genParams checks the sampling fields and fills g.
func (f *samplingFields) genParams(g *genRequest) error {
	p := sample.Params{Temperature: 1, RepeatLastN: 64}
	if t := f.Temperature; t != nil {
		if !finite(*t) || *t < 0 || *t > 2 {
			return errInvalid("temperature", "%g is not a valid temperature: it must be between 0 and 2.", *t)
		}
		p.Temperature = float32(*t)
	}
	if t := f.TopP; t != nil {
		if !finite(*t) || *t < 0 || *t > 1 {
			return errInvalid("top_p", "%g is not a valid top_p: it must be between 0 and 1.", *t)
		}
		p.TopP = float32(*t)
	}
	if t := f.TopK; t != nil {
		if *t < 0 {
			return errInvalid("top_k", "top_k must not be negative.")
		}
		p.TopK = *t
	}
	if t := f.MinP; t != nil {
		if !finite(*t) || *t < 0 || *t > 1 {
			return errInvalid("min_p", "%g is not a valid min_p: it must be between 0 and 1.", *t)
		}
		p.MinP = float32(*t)
	}
	if t := f.RepeatPenalty; t != nil {
		if !finite(*t) || *t < 0 {
			return errInvalid("repeat_penalty", "repeat_penalty must be a non-negative number.")
		}
		p.RepeatPenalty = float32(*t)
	}
	for name, v := range map[string]*float64{"presence_penalty": f.PresencePenalty, "frequency_penalty": f.FrequencyPenalty} {
		if v != nil && (!finite(*v) || *v < -2 || *v > 2) {
			return errInvalid(name, "%g is not a valid %s: it must be between -2 and 2.", *v, name)
		}
	}
	if f.PresencePenalty != nil {
		p.PresencePenalty = float32(*f.PresencePenalty)
	}
	if f.FrequencyPenalty != nil {
		p.FrequencyPenalty = float32(*f.FrequencyPenalty)
	}
	if f.Seed != nil {
		p.Seed = uint64(*f.Seed)
		g.seeded = true
	}
	g.sampling = p
	max := f.MaxTokens
	param := "max_tokens"
	if f.MaxCompletionTokens != nil {
		max, param = f.MaxCompletionTokens, "max_completion_tokens"
	}
	if max != nil {
		if *max < 1 {
			return errInvalid(param, "Invalid '%s': integer below minimum value. Expected a value >= 1, but got %d instead.", param, *max)
		}
		g.maxTokens = *max
	}
	g.n = 1
	if f.N != nil {
		if *f.N < 1 || *f.N > 16 {
			return errInvalid("n", "Invalid 'n': %d. Expected a value between 1 and 16.", *f.N)
		}
		g.n = *f.N
	}
	for _, s := range f.Stop {
		if s != "" {
			g.stop = append(g.stop, s)
		}
	}
	if len(g.stop) > 16 {
		return errInvalid("stop", "At most 16 stop sequences are allowed, got %d.", len(g.stop))
	}
	return nil
}

type chatRequest struct {
	Model    string        `json:"model"`
	Messages []chatMessage `json:"messages"`
	samplingFields
	Logprobs           *bool                      `json:"logprobs"`
	TopLogprobs        *int                       `json:"top_logprobs"`
	Tools              []json.RawMessage          `json:"tools"`
	ToolChoice         json.RawMessage            `json:"tool_choice"`
	ParallelToolCalls  *bool                      `json:"parallel_tool_calls"`
	ResponseFormat     *responseFormat            `json:"response_format"`
	ChatTemplateKwargs map[string]json.RawMessage `json:"chat_template_kwargs"`
	ReasoningEffort    string                     `json:"reasoning_effort"`
}

type chatMessage struct {
	Role             string          `json:"role"`
	Content          json.RawMessage `json:"content"`
	Name             string          `json:"name"`
	ToolCalls        []toolCallIn    `json:"tool_calls"`
	ToolCallID       string          `json:"tool_call_id"`
	ReasoningContent string          `json:"reasoning_content"`
}

type toolCallIn struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string          `json:"name"`
		Arguments json.RawMessage `json:"arguments"`
	} `json:"function"`
}

type toolDef struct {
	Type     string `json:"type"`
	Function struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Parameters  json.RawMessage `json:"parameters"`
	} `json:"function"`
}

type responseFormat struct {
	Type       string `json:"type"`
	JSONSchema *struct {
		Name   string          `json:"name"`
		Schema json.RawMessage `json:"schema"`
		Strict bool            `json:"strict"`
	} `json:"json_schema"`
}

// messageText turns a message's content (a string, null, or an array of
// parts) into text.
func messageText(raw json.RawMessage, i int) (text string, null bool, err error) {
	raw = bytes.TrimSpace(raw)
	param := fmt.Sprintf("messages[%d].content", i)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", true, nil
	}
	if raw[0] == '"' {
		err := json.Unmarshal(raw, &text)
		return text, false, err
	}
	var parts []struct {
		Type string  `json:"type"`
		Text *string `json:"text"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", false, errInvalid(param, "Invalid type for '%s': expected a string or an array of content parts.", param)
	}
	var b strings.Builder
	for j, p := range parts {
		switch p.Type {
		case "text", "input_text":
			if p.Text == nil {
				return "", false, errInvalid(fmt.Sprintf("%s[%d].text", param, j), "Missing required parameter: '%s[%d].text'.", param, j)
			}
			b.WriteString(*p.Text)
		default:
			return "", false, errInvalid(fmt.Sprintf("%s[%d].type", param, j), "Content parts of type %q are not supported; this server takes text only.", p.Type)
		}
	}
	return b.String(), false, nil
}

// chatPrompt renders the messages (and tools) with the model's template,
// or joins their text for a model without one. It returns the prompt
// tokens and the reply format (nil without a template).
func chatPrompt(lm *loadedModel, msgs []chatMessage, tools []json.RawMessage, kwargs map[string]json.RawMessage) ([]int32, *chat.Format, error) {
	if len(msgs) == 0 {
		return nil, nil, errInvalid("messages", "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.")
	}
	dicts := make([]any, 0, len(msgs))
	var plain []string
	for i, m := range msgs {
		switch m.Role {
		case "system", "developer", "user", "assistant", "tool", "function":
		case "":
			return nil, nil, errInvalid(fmt.Sprintf("messages[%d].role", i), "Missing required parameter: 'messages[%d].role'.", i)
		default:
			return nil, nil, errInvalid(fmt.Sprintf("messages[%d].role", i), "Invalid value: '%s'. Supported values are: 'system', 'developer', 'user', 'assistant' and 'tool'.", m.Role)
		}
		text, _, err := messageText(m.Content, i)
		if err != nil {
			return nil, nil, err
		}
		if text != "" {
			plain = append(plain, text)
		}
		d := chat.NewDict()
		role := m.Role
		if role == "developer" {
			role = "system"
		}
		d.Set("role", role)
		// A null content (an assistant turn of tool calls) renders as "":
		// templates such as Qwen3's test '</think>' in message.content,
		// which fails on None.
		d.Set("content", text)
		if m.Name != "" {
			d.Set("name", m.Name)
		}
		if m.ReasoningContent != "" {
			d.Set("reasoning_content", m.ReasoningContent)
		}
		if len(m.ToolCalls) > 0 {
			calls := &chat.List{}
			for j, tc := range m.ToolCalls {
				fn := chat.NewDict()
				fn.Set("name", tc.Function.Name)
				fn.Set("arguments", toolArguments(tc.Function.Arguments))
				if tc.Function.Name == "" {
					return nil, nil, errInvalid(fmt.Sprintf("messages[%d].tool_calls[%d].function.name", i, j), "Missing required parameter: 'messages[%d].tool_calls[%d].function.name'.", i, j)
				}
				c := chat.NewDict()
				if tc.ID != "" {
					c.Set("id", tc.ID)
				}
				c.Set("type", "function")
				c.Set("function", fn)
				calls.Items = append(calls.Items, c)
			}
			d.Set("tool_calls", calls)
		}
		if m.ToolCallID != "" {
			d.Set("tool_call_id", m.ToolCallID)
		}
		dicts = append(dicts, d)
	}
	m := lm.m
	if m.Templates.Empty() {
		return m.Tokenizer.Encode(strings.Join(plain, "\n"), true, false), nil, nil
	}
	var toolVals []any
	for i, t := range tools {
		var td toolDef
		if err := json.Unmarshal(t, &td); err != nil || td.Function.Name == "" || (td.Type != "" && td.Type != "function") {
			return nil, nil, errInvalid(fmt.Sprintf("tools[%d]", i), "Invalid tool: expected {\"type\":\"function\",\"function\":{\"name\":…,\"parameters\":{…}}}.")
		}
		v, err := chat.DecodeJSON(t)
		if err != nil {
			return nil, nil, errInvalid(fmt.Sprintf("tools[%d]", i), "Invalid tool: %v", err)
		}
		toolVals = append(toolVals, v)
	}
	kw := map[string]any{}
	for k, raw := range kwargs {
		v, err := chat.DecodeJSON(raw)
		if err != nil {
			return nil, nil, errInvalid("chat_template_kwargs", "Invalid chat_template_kwargs.%s: %v", k, err)
		}
		kw[k] = v
	}
	text, err := engine.Render(m.Templates, engine.RenderRequest{Messages: dicts, Tools: toolVals, Kwargs: kw, AddGenerationPrompt: true, Now: time.Now()})
	if err != nil {
		return nil, nil, errInvalid("messages", "The model's chat template failed on these messages: %v", err)
	}
	ids := m.Tokenizer.Encode(text, true, true)
	if bos := m.Tokenizer.BOS(); len(ids) >= 2 && bos >= 0 && ids[0] == bos && ids[1] == bos {
		ids = ids[1:]
	}
	f := lm.formats[0]
	if len(toolVals) > 0 && lm.formats[1] != nil {
		f = lm.formats[1]
	}
	if f != nil {
		// Whether the reply starts inside a think block depends on this
		// request's kwargs (enable_thinking…): read it off the prompt.
		nf := f.ForPrompt(text)
		if len(toolVals) == 0 {
			nf.Tools = chat.ToolsNone
		}
		f = &nf
	}
	return ids, f, nil
}

// toolArguments is a call's arguments as templates expect them: a JSON
// object (ordered) when the string holds one, else the string.
func toolArguments(raw json.RawMessage) any {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return chat.NewDict()
	}
	s := string(raw)
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return string(raw)
		}
	}
	if v, err := chat.DecodeJSON([]byte(s)); err == nil {
		if _, ok := v.(*chat.Dict); ok {
			return v
		}
	}
	return s
}

// toolChoice parses tool_choice: "none", "auto", "required" or
// {"type":"function","function":{"name":…}}.
func toolChoice(raw json.RawMessage, tools []json.RawMessage) (mode, name string, err error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "auto", "", nil
	}
	if raw[0] == '"' {
		json.Unmarshal(raw, &mode)
		switch mode {
		case "none", "auto", "required":
			if mode == "required" && len(tools) == 0 {
				return "", "", errInvalid("tool_choice", "tool_choice 'required' needs tools.")
			}
			return mode, "", nil
		}
		return "", "", errInvalid("tool_choice", "Invalid value: '%s'. Supported values are: 'none', 'auto' and 'required'.", mode)
	}
	var obj struct {
		Type     string `json:"type"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil || obj.Function.Name == "" {
		return "", "", errInvalid("tool_choice", "Invalid tool_choice: expected a string or {\"type\":\"function\",\"function\":{\"name\":…}}.")
	}
	for _, t := range tools {
		var td toolDef
		if json.Unmarshal(t, &td) == nil && td.Function.Name == obj.Function.Name {
			return "function", obj.Function.Name, nil
		}
	}
	return "", "", errInvalid("tool_choice", "Invalid tool_choice: no tool named '%s' was offered.", obj.Function.Name)
}

func (s *Server) handleChat(w http.ResponseWriter, r *http.Request) {
	var req chatRequest
	if err := decodeBody(r, &req, s.cfg.MaxJSONDepth); err != nil {
		writeError(w, err)
		return
	}
	if req.Model == "" {
		writeError(w, errInvalid("model", "you must provide a model parameter"))
		return
	}
	e, err := s.lookup(req.Model)
	if err != nil {
		writeError(w, err)
		return
	}
	g := &genRequest{param: "messages"}
	if err := req.genParams(g); err != nil {
		writeError(w, err)
		return
	}
	if req.Logprobs != nil && *req.Logprobs {
		g.logprobs = true
	}
	if req.TopLogprobs != nil {
		if *req.TopLogprobs < 0 || *req.TopLogprobs > 20 {
			writeError(w, errInvalid("top_logprobs", "Invalid 'top_logprobs': expected a value between 0 and 20, got %d.", *req.TopLogprobs))
			return
		}
		if !g.logprobs && *req.TopLogprobs > 0 {
			writeError(w, errInvalid("top_logprobs", "top_logprobs needs logprobs set to true."))
			return
		}
		g.topLogprobs = *req.TopLogprobs
	}
	mode, fname, err := toolChoice(req.ToolChoice, req.Tools)
	if err != nil {
		writeError(w, err)
		return
	}
	tools := req.Tools
	if mode == "none" {
		tools = nil
	}
	if mode == "function" {
		tools = filterTools(tools, fname)
	}
	lm, err := e.acquire()
	if err != nil {
		writeError(w, err)
		return
	}
	defer e.release()
	prompt, format, err := chatPrompt(lm, req.Messages, tools, req.ChatTemplateKwargs)
	if err != nil {
		writeError(w, err)
		return
	}
	g.prompts = [][]int32{prompt}
	g.format = format
	if err := s.constrain(lm, g, req.ResponseFormat, mode, tools, fname); err != nil {
		writeError(w, err)
		return
	}
	gen, err := s.start(r.Context(), lm, g)
	if err != nil {
		writeError(w, err)
		return
	}
	id, created := newID("chatcmpl-"), time.Now().Unix()
	if req.Stream {
		s.streamChat(w, gen, e.name, id, created, req.StreamOptions != nil && req.StreamOptions.IncludeUsage, len(prompt))
		return
	}
	choices := make([]map[string]any, len(gen.jobs))
	logs := make([][]engine.TokenInfo, len(gen.jobs))
	var usage [2]int
	usage[0] = len(prompt)
	var failure error
	gen.each(func(ev choiceEvent) bool {
		logs[ev.index] = append(logs[ev.index], ev.tokens...)
		if !ev.final {
			return true
		}
		if ev.err != nil {
			failure = ev.err
			return true
		}
		usage[1] += len(ev.res.Tokens)
		msg := map[string]any{"role": "assistant", "content": ev.reply.Content}
		if ev.reply.Reasoning != "" {
			msg["reasoning_content"] = ev.reply.Reasoning
		}
		if len(ev.reply.ToolCalls) > 0 {
			msg["tool_calls"] = toolCallsJSON(ev.reply.ToolCalls, false)
			if ev.reply.Content == "" {
				msg["content"] = nil
			}
		}
		var lp any
		if g.logprobs {
			lp = map[string]any{"content": chatLogprobs(logs[ev.index]), "refusal": nil}
		}
		choices[ev.index] = map[string]any{"index": ev.index, "message": msg, "logprobs": lp,
			"finish_reason": finishReason(ev.res.Reason, len(ev.reply.ToolCalls))}
		return true
	})
	if failure != nil {
		writeError(w, engineError(failure, "messages"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": id, "object": "chat.completion", "created": created, "model": e.name,
		"system_fingerprint": "hearth", "choices": choices, "usage": usageJSON(usage),
	})
}

func filterTools(tools []json.RawMessage, name string) []json.RawMessage {
	for _, t := range tools {
		var td toolDef
		if json.Unmarshal(t, &td) == nil && td.Function.Name == name {
			return []json.RawMessage{t}
		}
	}
	return nil
}

func usageJSON(u [2]int) map[string]any {
	return map[string]any{"prompt_tokens": u[0], "completion_tokens": u[1], "total_tokens": u[0] + u[1]}
}

func toolCallsJSON(calls []chat.ToolCall, indexed bool) []any {
	out := make([]any, len(calls))
	for i, c := range calls {
		m := map[string]any{"id": c.ID, "type": "function", "function": map[string]any{"name": c.Name, "arguments": c.Arguments}}
		if indexed {
			m["index"] = i
		}
		out[i] = m
	}
	return out
}

func tokenBytes(s string) []int {
	b := make([]int, len(s))
	for i := range len(s) {
		b[i] = int(s[i])
	}
	return b
}

func chatLogprobs(toks []engine.TokenInfo) []any {
	out := make([]any, 0, len(toks))
	for _, t := range toks {
		top := make([]any, 0, len(t.Top))
		for _, a := range t.Top {
			top = append(top, map[string]any{"token": a.Text, "logprob": a.Logprob, "bytes": tokenBytes(a.Text)})
		}
		out = append(out, map[string]any{"token": t.Text, "logprob": t.Logprob, "bytes": tokenBytes(t.Text), "top_logprobs": top})
	}
	return out
}

func (s *Server) streamChat(w http.ResponseWriter, gen *generation, model, id string, created int64, includeUsage bool, promptTokens int) {
	out := &sse{w: w}
	chunk := func(choices []any, usage any) bool {
		m := map[string]any{"id": id, "object": "chat.completion.chunk", "created": created, "model": model,
			"system_fingerprint": "hearth", "choices": choices}
		if includeUsage {
			m["usage"] = usage
		}
		b, _ := json.Marshal(m)
		return out.data(b)
	}
	choice := func(index int, delta map[string]any, lp any, finish any) []any {
		c := map[string]any{"index": index, "delta": delta, "logprobs": lp, "finish_reason": finish}
		return []any{c}
	}
	// The role comes first, for every choice.
	for i := range gen.jobs {
		chunk(choice(i, map[string]any{"role": "assistant", "content": ""}, nil, nil), nil)
	}
	calls := make([]int, len(gen.jobs))
	completion := 0
	var failure error
	gen.each(func(ev choiceEvent) bool {
		delta := map[string]any{}
		if ev.content != "" {
			delta["content"] = ev.content
		}
		if ev.reasoning != "" {
			delta["reasoning_content"] = ev.reasoning
		}
		if len(ev.calls) > 0 {
			tc := toolCallsJSON(ev.calls, true)
			for k := range tc {
				m := tc[k].(map[string]any)
				m["index"] = calls[ev.index] + k
				if m["id"] == "" {
					m["id"] = newID("call_")
				}
			}
			calls[ev.index] += len(ev.calls)
			delta["tool_calls"] = tc
		}
		var lp any
		if len(ev.tokens) > 0 {
			lp = map[string]any{"content": chatLogprobs(ev.tokens), "refusal": nil}
		}
		if len(delta) > 0 || lp != nil {
			if !chunk(choice(ev.index, delta, lp, nil), nil) {
				return false
			}
		}
		if ev.final {
			if ev.err != nil {
				failure = ev.err
				return true
			}
			completion += len(ev.res.Tokens)
			return chunk(choice(ev.index, map[string]any{}, nil, finishReason(ev.res.Reason, calls[ev.index])), nil)
		}
		return true
	})
	if failure != nil {
		b, _ := json.Marshal(engineError(failure, "messages"))
		out.data(b)
	}
	if includeUsage {
		chunk([]any{}, usageJSON([2]int{promptTokens, completion}))
	}
	out.data([]byte("[DONE]"))
}

// completionRequest is a POST /v1/completions body.
type completionRequest struct {
	Model  string          `json:"model"`
	Prompt json.RawMessage `json:"prompt"`
	samplingFields
	Logprobs *int   `json:"logprobs"`
	Echo     bool   `json:"echo"`
	Suffix   string `json:"suffix"`
	BestOf   *int   `json:"best_of"`
}

// completionPrompts decodes prompt: a string, an array of strings, an
// array of token ids, or an array of arrays of ids.
func completionPrompts(lm *loadedModel, raw json.RawMessage) ([][]int32, []string, error) {
	raw = bytes.TrimSpace(raw)
	tok := lm.m.Tokenizer
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil, errInvalid("prompt", "Missing required parameter: 'prompt'.")
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return [][]int32{tok.Encode(one, true, false)}, []string{one}, nil
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil && len(many) > 0 {
		var out [][]int32
		for _, p := range many {
			out = append(out, tok.Encode(p, true, false))
		}
		return out, many, nil
	}
	var ids []int32
	if json.Unmarshal(raw, &ids) == nil && len(ids) > 0 {
		return [][]int32{ids}, []string{tok.Decode(ids)}, nil
	}
	var idss [][]int32
	if json.Unmarshal(raw, &idss) == nil && len(idss) > 0 {
		var texts []string
		for _, ids := range idss {
			texts = append(texts, tok.Decode(ids))
		}
		return idss, texts, nil
	}
	return nil, nil, errInvalid("prompt", "Invalid type for 'prompt': expected a string, an array of strings, an array of token ids or an array of arrays of token ids.")
}

func (s *Server) handleCompletions(w http.ResponseWriter, r *http.Request) {
	var req completionRequest
	if err := decodeBody(r, &req, s.cfg.MaxJSONDepth); err != nil {
		writeError(w, err)
		return
	}
	if req.Model == "" {
		writeError(w, errInvalid("model", "you must provide a model parameter"))
		return
	}
	e, err := s.lookup(req.Model)
	if err != nil {
		writeError(w, err)
		return
	}
	g := &genRequest{param: "prompt", keepSpace: true}
	if err := req.genParams(g); err != nil {
		writeError(w, err)
		return
	}
	if req.MaxTokens == nil && req.MaxCompletionTokens == nil {
		g.maxTokens = 16 // OpenAI's default for completions
	}
	if req.Logprobs != nil {
		if *req.Logprobs < 0 || *req.Logprobs > 5 {
			writeError(w, errInvalid("logprobs", "Invalid 'logprobs': expected a value between 0 and 5, got %d.", *req.Logprobs))
			return
		}
		g.logprobs, g.topLogprobs = true, *req.Logprobs
	}
	lm, err := e.acquire()
	if err != nil {
		writeError(w, err)
		return
	}
	defer e.release()
	prompts, texts, err := completionPrompts(lm, req.Prompt)
	if err != nil {
		writeError(w, err)
		return
	}
	if len(prompts)*g.n > 16 {
		writeError(w, errInvalid("prompt", "At most 16 completions per request (prompts × n), got %d.", len(prompts)*g.n))
		return
	}
	vocab := lm.m.Net.Info().Vocab
	for i, p := range prompts {
		if len(p) == 0 {
			writeError(w, errInvalid("prompt", "Prompt %d is empty.", i))
			return
		}
		for _, id := range p {
			if id < 0 || int(id) >= vocab {
				writeError(w, errInvalid("prompt", "Token %d in prompt %d is outside the vocabulary of %d tokens.", id, i, vocab))
				return
			}
		}
	}
	g.prompts = prompts
	gen, err := s.start(r.Context(), lm, g)
	if err != nil {
		writeError(w, err)
		return
	}
	id, created := newID("cmpl-"), time.Now().Unix()
	promptTokens := 0
	for _, p := range prompts {
		promptTokens += len(p)
	}
	echo := func(i int) string {
		if req.Echo {
			return texts[i/g.n]
		}
		return ""
	}
	if req.Stream {
		out := &sse{w: w}
		includeUsage := req.StreamOptions != nil && req.StreamOptions.IncludeUsage
		chunk := func(choices []any, usage any) bool {
			m := map[string]any{"id": id, "object": "text_completion", "created": created, "model": e.name,
				"system_fingerprint": "hearth", "choices": choices}
			if includeUsage {
				m["usage"] = usage
			}
			b, _ := json.Marshal(m)
			return out.data(b)
		}
		for i := range gen.jobs {
			if t := echo(i); t != "" {
				chunk([]any{map[string]any{"index": i, "text": t, "logprobs": nil, "finish_reason": nil}}, nil)
			}
		}
		completion := 0
		var failure error
		gen.each(func(ev choiceEvent) bool {
			var lp any
			if g.logprobs && len(ev.tokens) > 0 {
				lp = completionLogprobs(ev.tokens, 0)
			}
			if ev.content != "" || lp != nil {
				if !chunk([]any{map[string]any{"index": ev.index, "text": ev.content, "logprobs": lp, "finish_reason": nil}}, nil) {
					return false
				}
			}
			if ev.final {
				if ev.err != nil {
					failure = ev.err
					return true
				}
				completion += len(ev.res.Tokens)
				return chunk([]any{map[string]any{"index": ev.index, "text": "", "logprobs": nil, "finish_reason": finishReason(ev.res.Reason, 0)}}, nil)
			}
			return true
		})
		if failure != nil {
			b, _ := json.Marshal(engineError(failure, "prompt"))
			out.data(b)
		}
		if includeUsage {
			chunk([]any{}, usageJSON([2]int{promptTokens, completion}))
		}
		out.data([]byte("[DONE]"))
		return
	}
	choices := make([]map[string]any, len(gen.jobs))
	logs := make([][]engine.TokenInfo, len(gen.jobs))
	usage := [2]int{promptTokens, 0}
	var failure error
	gen.each(func(ev choiceEvent) bool {
		logs[ev.index] = append(logs[ev.index], ev.tokens...)
		if !ev.final {
			return true
		}
		if ev.err != nil {
			failure = ev.err
			return true
		}
		usage[1] += len(ev.res.Tokens)
		var lp any
		if g.logprobs {
			lp = completionLogprobs(logs[ev.index], len(echo(ev.index)))
		}
		choices[ev.index] = map[string]any{"index": ev.index, "text": echo(ev.index) + ev.raw, "logprobs": lp,
			"finish_reason": finishReason(ev.res.Reason, 0)}
		return true
	})
	if failure != nil {
		writeError(w, engineError(failure, "prompt"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": id, "object": "text_completion", "created": created, "model": e.name,
		"system_fingerprint": "hearth", "choices": choices, "usage": usageJSON(usage),
	})
}

func completionLogprobs(toks []engine.TokenInfo, offset int) map[string]any {
	tokens := make([]string, len(toks))
	lps := make([]float32, len(toks))
	tops := make([]map[string]float32, len(toks))
	offs := make([]int, len(toks))
	for i, t := range toks {
		tokens[i], lps[i], offs[i] = t.Text, t.Logprob, offset
		offset += len(t.Text)
		tops[i] = map[string]float32{}
		for _, a := range t.Top {
			tops[i][a.Text] = a.Logprob
		}
	}
	return map[string]any{"tokens": tokens, "token_logprobs": lps, "top_logprobs": tops, "text_offset": offs}
}
