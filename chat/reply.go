package chat

import (
	"errors"
	"fmt"
	"strings"
)

// ToolFormat names how a model writes tool calls.
type ToolFormat string

const (
	ToolsNone        ToolFormat = ""
	ToolsHermes      ToolFormat = "hermes"       // <tool_call>{"name":…,"arguments":…}</tool_call> (Qwen 2.5/3, Hermes)
	ToolsQwen3Coder  ToolFormat = "qwen3-coder"  // <tool_call><function=f><parameter=p>v</parameter></function></tool_call>
	ToolsMistral     ToolFormat = "mistral"      // [TOOL_CALLS][{"name":…,"arguments":…}]
	ToolsMistralArgs ToolFormat = "mistral-args" // [TOOL_CALLS]f[ARGS]{…}
	ToolsLlama3      ToolFormat = "llama3"       // {"name":…,"parameters":…} or <|python_tag|>{…}
	ToolsDeepSeek    ToolFormat = "deepseek"     // <｜tool▁calls▁begin｜><｜tool▁call▁begin｜>…<｜tool▁sep｜>…
	ToolsKimiK2      ToolFormat = "kimi-k2"      // <|tool_calls_section_begin|><|tool_call_begin|>functions.f:0<|tool_call_argument_begin|>{…}
	ToolsHarmony     ToolFormat = "harmony"      // gpt-oss channels
	ToolsFunctionary ToolFormat = "functionary"  // <function=f>{…}</function>
)

// Format says how to split a model's reply; DetectFormat derives it from
// the chat template.
type Format struct {
	ThinkStart, ThinkEnd string
	// ThinkInPrompt: the generation prompt already opened the think block,
	// so the reply starts inside it.
	ThinkInPrompt bool
	Tools         ToolFormat
	// End holds end-of-turn markers the template writes after a reply;
	// the reply is cut at the first one.
	End []string
}

var endMarkers = []string{"<|im_end|>", "<|eot_id|>", "<|eom_id|>", "<|end|>", "<｜end▁of▁sentence｜>",
	"<|return|>", "<end_of_turn>", "<|endoftext|>", "<|END_OF_TURN_TOKEN|>", "[EOS]", "<|im_end|>", "</s>"}

// ToolCall is one parsed call; Arguments is a JSON object.
type ToolCall struct {
	ID        string
	Name      string
	Arguments string
}

// Reply is a parsed model reply.
type Reply struct {
	Content   string
	Reasoning string
	ToolCalls []ToolCall
}

const (
	dsCallsBegin = "<｜tool▁calls▁begin｜>"
	dsCallsEnd   = "<｜tool▁calls▁end｜>"
	dsCallBegin  = "<｜tool▁call▁begin｜>"
	dsCallEnd    = "<｜tool▁call▁end｜>"
	dsSep        = "<｜tool▁sep｜>"
)

// DetectFormat derives the reply format from a template: the markers it
// writes for tool calls and reasoning, and whether its generation prompt
// opens a think block.
func DetectFormat(t *Template) Format {
	src := t.src
	var f Format
	switch {
	case strings.Contains(src, "<|channel|>"):
		f.Tools = ToolsHarmony
	case strings.Contains(src, "<tool_call>") && strings.Contains(src, "<function=") && strings.Contains(src, "<parameter="):
		f.Tools = ToolsQwen3Coder
	case strings.Contains(src, "<tool_call>"):
		f.Tools = ToolsHermes
	case strings.Contains(src, "[TOOL_CALLS]") && strings.Contains(src, "[ARGS]"):
		f.Tools = ToolsMistralArgs
	case strings.Contains(src, "[TOOL_CALLS]"):
		f.Tools = ToolsMistral
	case strings.Contains(src, "tool▁call▁begin"):
		f.Tools = ToolsDeepSeek
	case strings.Contains(src, "<|tool_call_begin|>"):
		f.Tools = ToolsKimiK2
	case strings.Contains(src, "<function="):
		f.Tools = ToolsFunctionary
	case strings.Contains(src, "<|python_tag|>") || strings.Contains(src, `"parameters": `) && strings.Contains(src, "<|eot_id|>"):
		f.Tools = ToolsLlama3
	}
	for _, m := range endMarkers {
		if strings.Contains(src, m) || strings.Contains(src, "eos_token") && m == "</s>" {
			if f.Tools == ToolsHarmony && (m == "<|end|>" || m == "<|return|>") {
				continue
			}
			f.End = append(f.End, m)
		}
	}
	for _, m := range [][2]string{{"<seed:think>", "</seed:think>"}, {"[THINK]", "[/THINK]"}, {"<think>", "</think>"}, {"<thinking>", "</thinking>"}} {
		if strings.Contains(src, m[0]) || strings.Contains(src, m[1]) {
			f.ThinkStart, f.ThinkEnd = m[0], m[1]
			break
		}
	}
	if f.ThinkStart != "" {
		// With the template's default variables; a request that sets
		// enable_thinking and the like should call ForPrompt with the
		// prompt it actually rendered.
		msgs := []any{map[string]any{"role": "user", "content": "x"}}
		out, err := t.Render(Options{Messages: msgs, AddGenerationPrompt: true,
			SpecialTokens: map[string]string{"bos_token": "", "eos_token": ""}})
		if err == nil {
			f = f.ForPrompt(out)
		}
	}
	return f
}

// ForPrompt returns f with ThinkInPrompt set from the prompt actually
// rendered for a request: true when it ends inside an open think block
// (kwargs such as enable_thinking decide that in many templates).
func (f Format) ForPrompt(prompt string) Format {
	if f.ThinkStart != "" {
		f.ThinkInPrompt = strings.HasSuffix(strings.TrimRightFunc(prompt, isPySpace), f.ThinkStart)
	}
	return f
}

// ParseReply parses a complete reply.
func ParseReply(f Format, text string) (Reply, error) {
	r, _, err := parseReply(f, text, true)
	return r, err
}

// ReplyParser parses a reply as it streams in. Push returns only text that
// can no longer turn out to be part of a marker.
type ReplyParser struct {
	f                       Format
	buf                     strings.Builder
	sentContent, sentReason int
	sentCalls               int
}

// Delta is what a Push newly made certain.
type Delta struct {
	Content   string
	Reasoning string
	ToolCalls []ToolCall
}

func NewReplyParser(f Format) *ReplyParser { return &ReplyParser{f: f} }

// Push adds generated text.
func (p *ReplyParser) Push(s string) (Delta, error) {
	p.buf.WriteString(s)
	r, _, err := parseReply(p.f, p.buf.String(), false)
	if err != nil {
		return Delta{}, err
	}
	return p.delta(r), nil
}

// Finish parses the whole reply and returns it, with the last delta.
func (p *ReplyParser) Finish() (Reply, Delta, error) {
	r, _, err := parseReply(p.f, p.buf.String(), true)
	if err != nil {
		return Reply{}, Delta{}, err
	}
	return r, p.delta(r), nil
}

func (p *ReplyParser) delta(r Reply) Delta {
	var d Delta
	if len(r.Content) > p.sentContent && strings.HasPrefix(r.Content, r.Content[:p.sentContent]) {
		d.Content = r.Content[p.sentContent:]
		p.sentContent = len(r.Content)
	}
	if len(r.Reasoning) > p.sentReason {
		d.Reasoning = r.Reasoning[p.sentReason:]
		p.sentReason = len(r.Reasoning)
	}
	if len(r.ToolCalls) > p.sentCalls {
		d.ToolCalls = r.ToolCalls[p.sentCalls:]
		p.sentCalls = len(r.ToolCalls)
	}
	return d
}

// holdBack returns how many trailing bytes of s could start one of markers.
func holdBack(s string, markers ...string) int {
	best := 0
	for _, m := range markers {
		if m == "" {
			continue
		}
		for k := min(len(m)-1, len(s)); k > best; k-- {
			if strings.HasSuffix(s, m[:k]) {
				best = k
				break
			}
		}
	}
	return best
}

// streamText trims a text field for output: leading space dropped, and
// while streaming trailing space is held back too.
func streamText(s string, final bool) string {
	s = lstripSpace(s)
	if final {
		return rstripSpace(s)
	}
	return rstripSpace(s)
}

func parseReply(f Format, text string, final bool) (Reply, bool, error) {
	var r Reply
	for _, m := range f.End {
		if i := strings.Index(text, m); i >= 0 {
			text, final = text[:i], true
		}
	}
	if !final {
		text = text[:len(text)-holdBack(text, f.End...)]
	}
	if f.Tools == ToolsHarmony {
		return parseHarmony(text, final)
	}
	body := text
	if f.ThinkEnd != "" {
		inThink := f.ThinkInPrompt
		t := lstripSpace(body)
		if strings.HasPrefix(t, f.ThinkStart) {
			inThink = true
			body = t[len(f.ThinkStart):]
		} else if !final && !inThink && len(t) < len(f.ThinkStart) && strings.HasPrefix(f.ThinkStart, t) {
			return r, false, nil // may still become a think block
		}
		if inThink {
			end := strings.Index(body, f.ThinkEnd)
			if end < 0 {
				reason := body
				if !final {
					reason = reason[:len(reason)-holdBack(reason, f.ThinkEnd)]
				}
				r.Reasoning = streamText(reason, final)
				return r, false, nil
			}
			r.Reasoning = streamText(body[:end], true)
			body = body[end+len(f.ThinkEnd):]
		}
	}
	content, calls, err := parseTools(f.Tools, body, final)
	if err != nil {
		return r, false, err
	}
	r.Content = streamText(content, final)
	r.ToolCalls = calls
	return r, true, nil
}

// toolStart is the marker that opens tool calls in each format.
func toolStart(t ToolFormat) []string {
	switch t {
	case ToolsHermes, ToolsQwen3Coder:
		return []string{"<tool_call>"}
	case ToolsMistral, ToolsMistralArgs:
		return []string{"[TOOL_CALLS]"}
	case ToolsLlama3:
		return []string{"<|python_tag|>"}
	case ToolsDeepSeek:
		return []string{dsCallsBegin, dsCallBegin}
	case ToolsKimiK2:
		return []string{"<|tool_calls_section_begin|>", "<|tool_call_begin|>"}
	case ToolsFunctionary:
		return []string{"<function="}
	}
	return nil
}

// parseTools splits body into content and tool calls.
func parseTools(t ToolFormat, body string, final bool) (string, []ToolCall, error) {
	starts := toolStart(t)
	if t == ToolsLlama3 {
		trim := lstripSpace(body)
		if strings.HasPrefix(trim, "{") {
			if !final {
				return "", nil, nil
			}
			calls, err := parseJSONCalls(trim, "parameters")
			if err != nil {
				return body, nil, nil // not a call after all
			}
			return "", calls, nil
		}
	}
	pos := -1
	for _, s := range starts {
		if i := strings.Index(body, s); i >= 0 && (pos < 0 || i < pos) {
			pos = i
		}
	}
	if pos < 0 {
		if final {
			return body, nil, nil
		}
		return body[:len(body)-holdBack(body, starts...)], nil, nil
	}
	content := body[:pos]
	calls, err := parseCallSection(t, body[pos:], final)
	return content, calls, err
}

func between(s, start, end string) (inner, rest string, ok bool) {
	i := strings.Index(s, start)
	if i < 0 {
		return "", s, false
	}
	s = s[i+len(start):]
	j := strings.Index(s, end)
	if j < 0 {
		return s, "", false
	}
	return s[:j], s[j+len(end):], true
}

func parseCallSection(t ToolFormat, s string, final bool) ([]ToolCall, error) {
	var calls []ToolCall
	switch t {
	case ToolsHermes, ToolsQwen3Coder:
		for {
			inner, rest, ok := between(s, "<tool_call>", "</tool_call>")
			if !ok {
				if final && strings.TrimSpace(inner) != "" {
					// an unterminated last call: accept it if it parses
					if c, err := parseOneCall(t, inner); err == nil {
						calls = append(calls, c...)
					} else {
						return calls, err
					}
				}
				return calls, nil
			}
			c, err := parseOneCall(t, inner)
			if err != nil {
				return calls, err
			}
			calls = append(calls, c...)
			s = rest
		}
	case ToolsMistral:
		js := strings.TrimPrefix(s, "[TOOL_CALLS]")
		if end := strings.Index(js, "</s>"); end >= 0 {
			js = js[:end]
		}
		v, err := DecodeJSON([]byte(strings.TrimSpace(js)))
		if err != nil {
			if !final {
				return nil, nil
			}
			return nil, fmt.Errorf("chat: [TOOL_CALLS] is not followed by a JSON array: %v", err)
		}
		return callsFromJSON(v, "arguments")
	case ToolsMistralArgs:
		parts := strings.Split(s, "[TOOL_CALLS]")[1:]
		for i, p := range parts {
			name, args, ok := strings.Cut(p, "[ARGS]")
			if !ok {
				if final {
					return calls, fmt.Errorf("chat: [TOOL_CALLS]%s has no [ARGS]", name)
				}
				return calls, nil
			}
			args = strings.TrimSuffix(strings.TrimSpace(args), "</s>")
			norm, err := normalizeJSON(args)
			if err != nil {
				if !final || i < len(parts)-1 {
					if final {
						return calls, err
					}
					return calls, nil
				}
				return calls, err
			}
			// Mistral Small 3.2 and later put the call's id between the
			// name and the arguments: f[CALL_ID]id[ARGS]{…}.
			name, id, _ := strings.Cut(name, "[CALL_ID]")
			calls = append(calls, ToolCall{ID: strings.TrimSpace(id), Name: strings.TrimSpace(name), Arguments: norm})
		}
		return calls, nil
	case ToolsDeepSeek:
		for {
			inner, rest, ok := between(s, dsCallBegin, dsCallEnd)
			if !ok {
				return calls, nil
			}
			left, right, found := strings.Cut(inner, dsSep)
			if !found {
				return calls, fmt.Errorf("chat: deepseek tool call without separator")
			}
			name, args := left, right
			if nl, fence, ok2 := strings.Cut(right, "\n```json\n"); ok2 {
				name = nl
				args = strings.TrimSuffix(strings.TrimSpace(fence), "```")
			}
			norm, err := normalizeJSON(args)
			if err != nil {
				return calls, err
			}
			calls = append(calls, ToolCall{Name: strings.TrimSpace(name), Arguments: norm})
			s = rest
		}
	case ToolsKimiK2:
		for {
			inner, rest, ok := between(s, "<|tool_call_begin|>", "<|tool_call_end|>")
			if !ok {
				return calls, nil
			}
			id, args, found := strings.Cut(inner, "<|tool_call_argument_begin|>")
			if !found {
				return calls, fmt.Errorf("chat: kimi tool call without arguments")
			}
			id = strings.TrimSpace(id)
			name := strings.TrimPrefix(id, "functions.")
			if k := strings.LastIndexByte(name, ':'); k >= 0 {
				name = name[:k]
			}
			norm, err := normalizeJSON(args)
			if err != nil {
				return calls, err
			}
			calls = append(calls, ToolCall{ID: id, Name: name, Arguments: norm})
			s = rest
		}
	case ToolsLlama3:
		js := strings.TrimPrefix(s, "<|python_tag|>")
		if !final {
			return nil, nil
		}
		return parseJSONCalls(strings.TrimSpace(js), "parameters")
	case ToolsFunctionary:
		for {
			i := strings.Index(s, "<function=")
			if i < 0 {
				return calls, nil
			}
			s = s[i+len("<function="):]
			name, rest, ok := strings.Cut(s, ">")
			if !ok {
				return calls, nil
			}
			args, rest2, ok := strings.Cut(rest, "</function>")
			if !ok && !final {
				return calls, nil
			}
			norm, err := normalizeJSON(args)
			if err != nil {
				return calls, err
			}
			calls = append(calls, ToolCall{Name: name, Arguments: norm})
			s = rest2
		}
	}
	return calls, nil
}

func parseOneCall(t ToolFormat, inner string) ([]ToolCall, error) {
	if t == ToolsQwen3Coder {
		fn, _, ok := between(inner, "<function=", "</function>")
		if !ok {
			return nil, errors.New("chat: <tool_call> without <function=...>")
		}
		name, params, _ := strings.Cut(fn, ">")
		args := NewDict()
		for {
			p, rest, ok := between(params, "<parameter=", "</parameter>")
			if !ok {
				break
			}
			pname, val, _ := strings.Cut(p, ">")
			val = strings.TrimPrefix(val, "\n")
			val = strings.TrimSuffix(val, "\n")
			args.Set(pname, xmlParamValue(val))
			params = rest
		}
		js, err := pyJSONDumps(args, jsonOpts{itemSep: ",", keySep: ":"})
		if err != nil {
			return nil, err
		}
		return []ToolCall{{Name: strings.TrimSpace(name), Arguments: js}}, nil
	}
	return parseJSONCalls(strings.TrimSpace(inner), "arguments")
}

// xmlParamValue reads a Qwen3-Coder parameter: JSON when it parses
// (objects, arrays, numbers), Python's True/False/None, else the string.
func xmlParamValue(s string) any {
	switch s {
	case "True", "true":
		return true
	case "False", "false":
		return false
	case "None", "null":
		return nil
	}
	t := strings.TrimSpace(s)
	if t != "" && (strings.ContainsAny(t[:1], "{[-0123456789")) {
		if v, err := DecodeJSON([]byte(t)); err == nil {
			return v
		}
	}
	return s
}

func normalizeJSON(s string) (string, error) {
	v, err := DecodeJSON([]byte(strings.TrimSpace(s)))
	if err != nil {
		return "", fmt.Errorf("chat: tool call arguments are not JSON: %v", err)
	}
	return pyJSONDumps(v, jsonOpts{itemSep: ",", keySep: ":"})
}

func parseJSONCalls(s string, argKey string) ([]ToolCall, error) {
	v, err := DecodeJSON([]byte(s))
	if err != nil {
		// several objects separated by ";" or newlines
		var calls []ToolCall
		for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '\n' }) {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			pv, err2 := DecodeJSON([]byte(part))
			if err2 != nil {
				return nil, fmt.Errorf("chat: tool call is not JSON: %v", err)
			}
			c, err2 := callsFromJSON(pv, argKey)
			if err2 != nil {
				return nil, err2
			}
			calls = append(calls, c...)
		}
		return calls, nil
	}
	return callsFromJSON(v, argKey)
}

func callsFromJSON(v any, argKey string) ([]ToolCall, error) {
	var items []any
	switch x := v.(type) {
	case *List:
		items = x.Items
	case *Dict:
		items = []any{x}
	default:
		return nil, errors.New("chat: tool call JSON is not an object or array")
	}
	var calls []ToolCall
	for _, it := range items {
		d, ok := it.(*Dict)
		if !ok {
			return nil, errors.New("chat: tool call is not an object")
		}
		if fn, ok := d.Get("function"); ok {
			if fd, ok := fn.(*Dict); ok {
				d = fd
			}
		}
		name, _ := d.Get("name")
		ns, ok := name.(string)
		if !ok {
			return nil, errors.New("chat: tool call without a name")
		}
		args, ok := d.Get(argKey)
		if !ok {
			for _, k := range []string{"arguments", "parameters"} {
				if a, ok2 := d.Get(k); ok2 {
					args, ok = a, true
					break
				}
			}
		}
		if !ok {
			args = NewDict()
		}
		var js string
		if s, isS := args.(string); isS {
			n, err := normalizeJSON(s)
			if err != nil {
				return nil, err
			}
			js = n
		} else {
			var err error
			js, err = pyJSONDumps(args, jsonOpts{itemSep: ",", keySep: ":"})
			if err != nil {
				return nil, err
			}
		}
		c := ToolCall{Name: ns, Arguments: js}
		if id, ok := d.Get("id"); ok {
			c.ID = pyStr(id)
		}
		calls = append(calls, c)
	}
	return calls, nil
}

// parseHarmony reads gpt-oss channels: analysis is reasoning, final is
// content, and a message addressed "to=functions.NAME" is a tool call.
func parseHarmony(text string, final bool) (Reply, bool, error) {
	var r Reply
	var content, reason strings.Builder
	s := text
	markers := []string{"<|channel|>", "<|message|>", "<|end|>", "<|call|>", "<|return|>", "<|start|>"}
	for s != "" {
		s = strings.TrimPrefix(s, "<|start|>")
		s = strings.TrimPrefix(s, "assistant")
		hdrEnd := strings.Index(s, "<|message|>")
		if hdrEnd < 0 {
			break
		}
		header := s[:hdrEnd]
		s = s[hdrEnd+len("<|message|>"):]
		end := len(s)
		term := ""
		for _, t := range []string{"<|end|>", "<|call|>", "<|return|>", "<|start|>"} {
			if i := strings.Index(s, t); i >= 0 && i < end {
				end, term = i, t
			}
		}
		msg := s[:end]
		complete := term != ""
		if !complete && !final {
			msg = msg[:len(msg)-holdBack(msg, markers...)]
		}
		channel := ""
		if _, ch, ok := strings.Cut(header, "<|channel|>"); ok {
			channel = strings.Fields(ch + " x")[0]
		}
		if i := strings.Index(header, "to=functions."); i >= 0 {
			name := strings.Fields(header[i+len("to="):] + " ")[0]
			name = strings.TrimPrefix(name, "functions.")
			if i := strings.Index(name, "<|"); i >= 0 {
				name = name[:i]
			}
			if complete || final {
				norm, err := normalizeJSON(msg)
				if err != nil {
					return r, false, err
				}
				r.ToolCalls = append(r.ToolCalls, ToolCall{Name: name, Arguments: norm})
			}
		} else if channel == "analysis" {
			reason.WriteString(msg)
		} else {
			content.WriteString(msg)
		}
		if term == "" || term == "<|start|>" {
			s = s[end:]
		} else {
			s = s[end+len(term):]
		}
		if term == "" {
			break
		}
	}
	r.Reasoning = streamText(reason.String(), final)
	r.Content = streamText(content.String(), final)
	return r, true, nil
}
