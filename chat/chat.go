// Package chat renders chat templates exactly as Hugging Face transformers'
// apply_chat_template does with Jinja2 (an ImmutableSandboxedEnvironment
// with trim_blocks, lstrip_blocks, loop controls, the {% generation %} tag,
// transformers' tojson, raise_exception and strftime_now), and parses model
// replies back into text, reasoning and tool calls.
package chat

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Template is a parsed chat template. It is safe for concurrent Render calls.
type Template struct {
	src  string
	body []node
}

// Parse compiles a Jinja chat template.
func Parse(src string) (*Template, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	body, err := parseTemplate(toks)
	if err != nil {
		return nil, err
	}
	return &Template{src: src, body: body}, nil
}

// Source returns the template text.
func (t *Template) Source() string { return t.src }

// Options are the inputs of apply_chat_template.
//
// Values may be plain encoding/json values (map[string]any, []any, string,
// float64, bool, nil) or the ordered values DecodeJSON returns (*Dict,
// *List, int64, ...). Go maps have no order: their keys are visited in
// sorted order, and float64 numbers that are whole become ints as Python's
// json.loads would have produced for "1". Use DecodeJSON to keep key order.
type Options struct {
	Messages             []any
	Tools                []any // nil: the template sees tools=None
	Documents            []any // nil: documents=None
	AddGenerationPrompt  bool
	ContinueFinalMessage bool
	// SpecialTokens holds bos_token, eos_token, ... as template variables.
	SpecialTokens map[string]string
	// Kwargs are extra template variables (enable_thinking, ...); they
	// override special tokens of the same name.
	Kwargs map[string]any
	// Now is the clock strftime_now reads; zero means time.Now().
	Now time.Time
	// MaxOutput bounds the rendered size in bytes (default 64 MiB);
	// MaxSteps bounds evaluation steps (default 20M).
	MaxOutput int
	MaxSteps  int
}

// Apply parses and renders src.
func Apply(src string, o Options) (string, error) {
	t, err := Parse(src)
	if err != nil {
		return "", err
	}
	return t.Render(o)
}

func listOrNone(v []any) any {
	if v == nil {
		return nil
	}
	return fromGo(v)
}

// Render renders the template with o.
func (t *Template) Render(o Options) (string, error) {
	if o.AddGenerationPrompt && o.ContinueFinalMessage {
		return "", errors.New("chat: continue_final_message and add_generation_prompt are not compatible; use continue_final_message when you want the model to continue the final message, and add_generation_prompt when you want to add a header that will prompt it to start a new assistant message instead")
	}
	root := newScope(nil)
	for k, v := range o.SpecialTokens {
		root.vars[k] = v
	}
	for k, v := range o.Kwargs {
		root.vars[k] = fromGo(v)
	}
	msgs := fromGo(o.Messages)
	if o.Messages == nil {
		msgs = &List{}
	}
	root.vars["messages"] = msgs
	root.vars["tools"] = listOrNone(o.Tools)
	root.vars["documents"] = listOrNone(o.Documents)
	root.vars["add_generation_prompt"] = o.AddGenerationPrompt
	ev := &evaluator{maxSteps: o.MaxSteps, maxOutput: o.MaxOutput, now: o.Now}
	if ev.maxSteps <= 0 {
		ev.maxSteps = defaultMaxSteps
	}
	if ev.maxOutput <= 0 {
		ev.maxOutput = defaultMaxOutput
	}
	if ev.now.IsZero() {
		ev.now = time.Now()
	}
	var b strings.Builder
	ev.out = &b
	if err := ev.execBody(t.body, root); err != nil {
		if err == errBreak || err == errContinue {
			return "", fmt.Errorf("chat: %v", err)
		}
		return "", err
	}
	out := b.String()
	if o.ContinueFinalMessage {
		return continueFinal(out, msgs)
	}
	return out, nil
}

// continueFinal cuts the rendering after the final message's content, as
// transformers does for continue_final_message.
func continueFinal(rendered string, msgs any) (string, error) {
	l, ok := msgs.(*List)
	if !ok || len(l.Items) == 0 {
		return "", errors.New("chat: continue_final_message needs at least one message")
	}
	last, _ := l.Items[len(l.Items)-1].(*Dict)
	content, _ := last.Get("content")
	var final string
	switch c := content.(type) {
	case string:
		final = c
	case *List:
		found := false
		for i := len(c.Items) - 1; i >= 0; i-- {
			if d, ok := c.Items[i].(*Dict); ok {
				if tx, ok := d.Get("text"); ok {
					final, found = pyStr(tx), true
					break
				}
			}
		}
		if !found {
			return "", errors.New("chat: continue_final_message is set but we could not find any text to continue in the final message")
		}
	default:
		return "", errors.New("chat: continue_final_message: the final message has no text content")
	}
	stripped := strings.TrimFunc(final, isPySpace)
	if !strings.Contains(rendered, stripped) {
		return "", errors.New("chat: continue_final_message is set but the final message does not appear in the chat after applying the chat template")
	}
	loc := strings.LastIndex(rendered, stripped)
	lst := lstripSpace(final)
	end := min(loc+len(lst), len(rendered))
	if rendered[loc:end] == final {
		return rendered[:loc+len(lst)], nil
	}
	return rendered[:loc+len(stripped)], nil
}
