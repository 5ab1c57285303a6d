package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/hearthlm/hearth/chat"
	"github.com/hearthlm/hearth/engine"
	"github.com/hearthlm/hearth/sample"
)

// The Ollama API (https://github.com/ollama/ollama/blob/main/docs/api.md):
// newline-delimited JSON streams, streaming by default, errors as
// {"error": "..."}.

type ollamaOptions struct {
	NumPredict       *int         `json:"num_predict"`
	Temperature      *float64     `json:"temperature"`
	TopK             *int         `json:"top_k"`
	TopP             *float64     `json:"top_p"`
	MinP             *float64     `json:"min_p"`
	Seed             *int64       `json:"seed"`
	Stop             stringOrList `json:"stop"`
	RepeatPenalty    *float64     `json:"repeat_penalty"`
	RepeatLastN      *int         `json:"repeat_last_n"`
	PresencePenalty  *float64     `json:"presence_penalty"`
	FrequencyPenalty *float64     `json:"frequency_penalty"`
	NumCtx           *int         `json:"num_ctx"`
}

type ollamaMessage struct {
	Role      string `json:"role"`
	Content   string `json:"content"`
	Thinking  string `json:"thinking,omitempty"`
	ToolCalls []struct {
		Function struct {
			Name      string          `json:"name"`
			Arguments json.RawMessage `json:"arguments"`
		} `json:"function"`
	} `json:"tool_calls,omitempty"`
	ToolName string   `json:"tool_name,omitempty"`
	Images   []string `json:"images,omitempty"`
}

type ollamaChatRequest struct {
	Model    string            `json:"model"`
	Messages []ollamaMessage   `json:"messages"`
	Tools    []json.RawMessage `json:"tools"`
	Format   json.RawMessage   `json:"format"`
	Options  *ollamaOptions    `json:"options"`
	Stream   *bool             `json:"stream"`
}

type ollamaGenerateRequest struct {
	Model   string          `json:"model"`
	Prompt  string          `json:"prompt"`
	System  string          `json:"system"`
	Raw     bool            `json:"raw"`
	Format  json.RawMessage `json:"format"`
	Options *ollamaOptions  `json:"options"`
	Stream  *bool           `json:"stream"`
}

func ollamaError(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = errInternal(err.Error())
	}
	msg := ae.Message
	if ae.Code == "model_not_found" {
		msg = "model '" + ae.model + "' not found"
	}
	writeJSON(w, ae.Status, map[string]string{"error": msg})
}

// sampling fills g from Ollama's options, with Ollama's defaults.
func (o *ollamaOptions) sampling(g *genRequest) error {
	p := sample.Params{Temperature: 0.8, TopK: 40, TopP: 0.9, RepeatPenalty: 1.1, RepeatLastN: 64}
	if o == nil {
		o = &ollamaOptions{}
	}
	setF := func(dst *float32, v *float64, name string) error {
		if v != nil {
			if !finite(*v) {
				return errInvalid("options."+name, "options.%s must be a finite number", name)
			}
			*dst = float32(*v)
		}
		return nil
	}
	for _, f := range []struct {
		dst  *float32
		v    *float64
		name string
	}{{&p.Temperature, o.Temperature, "temperature"}, {&p.TopP, o.TopP, "top_p"}, {&p.MinP, o.MinP, "min_p"},
		{&p.RepeatPenalty, o.RepeatPenalty, "repeat_penalty"}, {&p.PresencePenalty, o.PresencePenalty, "presence_penalty"},
		{&p.FrequencyPenalty, o.FrequencyPenalty, "frequency_penalty"}} {
		if err := setF(f.dst, f.v, f.name); err != nil {
			return err
		}
	}
	if o.TopK != nil {
		p.TopK = *o.TopK
	}
	if o.RepeatLastN != nil {
		if *o.RepeatLastN < -1 {
			return errInvalid("options.repeat_last_n", "options.repeat_last_n must be -1 (all) or more")
		}
		p.RepeatLastN = *o.RepeatLastN
	}
	if o.Seed != nil {
		p.Seed, g.seeded = uint64(*o.Seed), true
	}
	if o.NumPredict != nil && *o.NumPredict > 0 {
		g.maxTokens = *o.NumPredict
	}
	g.stop = o.Stop
	g.sampling = p
	g.n = 1
	return nil
}

func ollamaStream(b *bool) bool { return b == nil || *b }

func (s *Server) ollamaFormat(lm *loadedModel, g *genRequest, raw json.RawMessage) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) || bytes.Equal(raw, []byte(`""`)) {
		return nil
	}
	rf := &responseFormat{Type: "json_object"}
	if raw[0] == '{' {
		rf.Type = "json_schema"
		rf.JSONSchema = &struct {
			Name   string          `json:"name"`
			Schema json.RawMessage `json:"schema"`
			Strict bool            `json:"strict"`
		}{Name: "format", Schema: raw}
	} else if !bytes.Equal(raw, []byte(`"json"`)) {
		return errInvalid("format", "format must be \"json\" or a JSON schema")
	}
	return s.constrain(lm, g, rf, "auto", nil, "")
}

func (s *Server) handleOllamaChat(w http.ResponseWriter, r *http.Request) {
	var req ollamaChatRequest
	if err := decodeBody(r, &req, s.cfg.MaxJSONDepth); err != nil {
		ollamaError(w, err)
		return
	}
	e, err := s.lookup(req.Model)
	if err != nil {
		ollamaError(w, err)
		return
	}
	g := &genRequest{param: "messages"}
	if err := req.Options.sampling(g); err != nil {
		ollamaError(w, err)
		return
	}
	lm, err := e.acquire()
	if err != nil {
		ollamaError(w, err)
		return
	}
	defer e.release()
	if len(req.Messages) == 0 {
		// Ollama loads the model and answers done for an empty chat.
		writeJSON(w, http.StatusOK, map[string]any{"model": req.Model, "created_at": time.Now().UTC(), "message": map[string]any{"role": "assistant", "content": ""}, "done_reason": "load", "done": true})
		return
	}
	msgs := make([]chatMessage, len(req.Messages))
	for i, m := range req.Messages {
		if len(m.Images) > 0 {
			ollamaError(w, errInvalid("messages", "images are not supported"))
			return
		}
		c, _ := json.Marshal(m.Content)
		msgs[i] = chatMessage{Role: m.Role, Content: c, ReasoningContent: m.Thinking, Name: m.ToolName}
		for _, tc := range m.ToolCalls {
			var in toolCallIn
			in.Type = "function"
			in.Function.Name = tc.Function.Name
			in.Function.Arguments = tc.Function.Arguments
			msgs[i].ToolCalls = append(msgs[i].ToolCalls, in)
		}
	}
	prompt, format, err := chatPrompt(lm, msgs, req.Tools, nil)
	if err != nil {
		ollamaError(w, err)
		return
	}
	g.prompts, g.format = [][]int32{prompt}, format
	if err := s.ollamaFormat(lm, g, req.Format); err != nil {
		ollamaError(w, err)
		return
	}
	s.ollamaRun(w, r, e, lm, g, ollamaStream(req.Stream), true)
}

func (s *Server) handleOllamaGenerate(w http.ResponseWriter, r *http.Request) {
	var req ollamaGenerateRequest
	if err := decodeBody(r, &req, s.cfg.MaxJSONDepth); err != nil {
		ollamaError(w, err)
		return
	}
	e, err := s.lookup(req.Model)
	if err != nil {
		ollamaError(w, err)
		return
	}
	g := &genRequest{param: "prompt"}
	if err := req.Options.sampling(g); err != nil {
		ollamaError(w, err)
		return
	}
	lm, err := e.acquire()
	if err != nil {
		ollamaError(w, err)
		return
	}
	defer e.release()
	if req.Prompt == "" {
		writeJSON(w, http.StatusOK, map[string]any{"model": req.Model, "created_at": time.Now().UTC(), "response": "", "done_reason": "load", "done": true})
		return
	}
	var prompt []int32
	if req.Raw || lm.m.Templates.Empty() {
		text := req.Prompt
		if req.System != "" && !req.Raw {
			text = req.System + "\n" + text
		}
		prompt = lm.m.Tokenizer.Encode(text, true, req.Raw)
	} else {
		var msgs []chatMessage
		if req.System != "" {
			c, _ := json.Marshal(req.System)
			msgs = append(msgs, chatMessage{Role: "system", Content: c})
		}
		c, _ := json.Marshal(req.Prompt)
		msgs = append(msgs, chatMessage{Role: "user", Content: c})
		prompt, _, err = chatPrompt(lm, msgs, nil, nil)
		if err != nil {
			ollamaError(w, err)
			return
		}
	}
	g.prompts = [][]int32{prompt}
	if err := s.ollamaFormat(lm, g, req.Format); err != nil {
		ollamaError(w, err)
		return
	}
	s.ollamaRun(w, r, e, lm, g, ollamaStream(req.Stream), false)
}

// ollamaRun runs a generation and answers as /api/chat (isChat) or
// /api/generate does.
func (s *Server) ollamaRun(w http.ResponseWriter, r *http.Request, e *modelEntry, lm *loadedModel, g *genRequest, stream, isChat bool) {
	gen, err := s.start(r.Context(), lm, g)
	if err != nil {
		ollamaError(w, err)
		return
	}
	name := e.name
	line := func(content, thinking string, calls []any, done bool) map[string]any {
		m := map[string]any{"model": name, "created_at": time.Now().UTC().Format(time.RFC3339Nano), "done": done}
		if isChat {
			msg := map[string]any{"role": "assistant", "content": content}
			if thinking != "" {
				msg["thinking"] = thinking
			}
			if len(calls) > 0 {
				msg["tool_calls"] = calls
			}
			m["message"] = msg
		} else {
			m["response"] = content
			if thinking != "" {
				m["thinking"] = thinking
			}
		}
		return m
	}
	finish := func(m map[string]any, ev choiceEvent) {
		reason := "stop"
		if ev.res.Reason == engine.StopLength || ev.res.Reason == engine.StopContext {
			reason = "length"
		}
		m["done_reason"] = reason
		m["total_duration"] = time.Since(gen.t0).Nanoseconds()
		m["load_duration"] = 0
		m["prompt_eval_count"] = ev.res.PromptTokens
		m["prompt_eval_duration"] = ev.res.PromptTime.Nanoseconds()
		m["eval_count"] = len(ev.res.Tokens)
		m["eval_duration"] = ev.res.GenTime.Nanoseconds()
	}
	if !stream {
		var final choiceEvent
		gen.each(func(ev choiceEvent) bool {
			if ev.final {
				final = ev
			}
			return true
		})
		if final.err != nil {
			ollamaError(w, engineError(final.err, g.param))
			return
		}
		m := line(final.reply.Content, final.reply.Reasoning, ollamaCalls(final.reply.ToolCalls), true)
		finish(m, final)
		writeJSON(w, http.StatusOK, m)
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	flush := func() {
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
	}
	gen.each(func(ev choiceEvent) bool {
		if ev.content != "" || ev.reasoning != "" || len(ev.calls) > 0 {
			if enc.Encode(line(ev.content, ev.reasoning, ollamaCalls(ev.calls), false)) != nil {
				return false
			}
			flush()
		}
		if ev.final {
			if ev.err != nil {
				enc.Encode(map[string]string{"error": engineError(ev.err, g.param).Message})
				return true
			}
			m := line("", "", nil, true)
			finish(m, ev)
			enc.Encode(m)
			flush()
		}
		return true
	})
}

func ollamaCalls(calls []chat.ToolCall) []any {
	var out []any
	for _, c := range calls {
		var args any = map[string]any{}
		if err := json.Unmarshal([]byte(c.Arguments), &args); err != nil {
			args = c.Arguments
		}
		out = append(out, map[string]any{"function": map[string]any{"name": c.Name, "arguments": args}})
	}
	return out
}

// ollamaDetails describes a model for /api/tags, /api/show and /api/ps.
func (e *modelEntry) ollamaDetails() (size int64, details map[string]any, info map[string]any) {
	details = map[string]any{"parent_model": "", "format": "gguf", "family": "", "families": []string{},
		"parameter_size": "", "quantization_level": ""}
	if st, err := os.Stat(e.ref); err == nil {
		size = st.Size()
	}
	lm := e.current()
	if lm == nil {
		return size, details, nil
	}
	mi := lm.m.Net.Info()
	if size == 0 {
		size = mi.WeightBytes
	}
	details["family"] = mi.Arch
	details["families"] = []string{mi.Arch}
	details["parameter_size"] = paramSize(mi.Params)
	details["quantization_level"] = mi.FileType
	info = map[string]any{
		"general.architecture": mi.Arch, "general.name": mi.Name, "general.parameter_count": mi.Params,
		mi.Arch + ".context_length": mi.ContextLength, mi.Arch + ".embedding_length": mi.Embedding,
		mi.Arch + ".block_count": mi.Layers, mi.Arch + ".attention.head_count": mi.Heads,
		mi.Arch + ".attention.head_count_kv": mi.KVHeads, "hearth.slot_context": lm.sched.Context(),
		"hearth.slots": lm.sched.Options().Slots,
	}
	return size, details, info
}

func paramSize(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.1fB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	}
	return fmt.Sprintf("%.1fK", float64(n)/1e3)
}

func (s *Server) handleOllamaTags(w http.ResponseWriter, r *http.Request) {
	models := []any{}
	for _, e := range s.models {
		size, details, _ := e.ollamaDetails()
		models = append(models, map[string]any{"name": e.name, "model": e.name, "modified_at": e.created.UTC().Format(time.RFC3339Nano),
			"size": size, "digest": "", "details": details})
	}
	writeJSON(w, http.StatusOK, map[string]any{"models": models})
}

func (s *Server) handleOllamaPS(w http.ResponseWriter, r *http.Request) {
	models := []any{}
	for _, e := range s.models {
		if e.current() == nil {
			continue
		}
		size, details, _ := e.ollamaDetails()
		models = append(models, map[string]any{"name": e.name, "model": e.name, "size": size, "digest": "",
			"details": details, "size_vram": 0})
	}
	writeJSON(w, http.StatusOK, map[string]any{"models": models})
}

func (s *Server) handleOllamaShow(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model string `json:"model"`
		Name  string `json:"name"`
	}
	if err := decodeBody(r, &req, s.cfg.MaxJSONDepth); err != nil {
		ollamaError(w, err)
		return
	}
	if req.Model == "" {
		req.Model = req.Name
	}
	e, err := s.lookup(req.Model)
	if err != nil || req.Model == "" {
		ollamaError(w, errModelNotFound(req.Model))
		return
	}
	lm, err := e.acquire()
	if err != nil {
		ollamaError(w, err)
		return
	}
	defer e.release()
	_, details, info := e.ollamaDetails()
	caps := []string{"completion"}
	if lm.formats[1] != nil && lm.formats[1].Tools != "" {
		caps = append(caps, "tools")
	}
	if lm.formats[0] != nil && lm.formats[0].ThinkStart != "" {
		caps = append(caps, "thinking")
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"modelfile": "# hearth serves " + e.ref + "\nFROM " + e.ref + "\n", "parameters": "",
		"template": lm.m.Templates.Default, "details": details, "model_info": info, "capabilities": caps,
		"modified_at": e.created.UTC().Format(time.RFC3339Nano),
	})
}

func (s *Server) handleOllamaVersion(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"version": "0.9.0"})
}
