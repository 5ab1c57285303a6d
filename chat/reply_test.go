package chat

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// replyFromTemplate renders conv through tmpl twice, with and without the
// final assistant message, and returns what the assistant turn added.
func replyFromTemplate(t *testing.T, tm *Template, conv []any, tools []any) (string, bool) {
	st := map[string]string{"bos_token": "<s>", "eos_token": "</s>"}
	full, err := tm.Render(Options{Messages: conv, Tools: tools, SpecialTokens: st})
	if err != nil {
		return "", false
	}
	prefix, err := tm.Render(Options{Messages: conv[:len(conv)-1], Tools: tools, SpecialTokens: st, AddGenerationPrompt: true})
	if err != nil || !strings.HasPrefix(full, prefix) {
		return "", false
	}
	return full[len(prefix):], true
}

func sameJSON(t *testing.T, a, b string) bool {
	va, err1 := DecodeJSON([]byte(a))
	vb, err2 := DecodeJSON([]byte(b))
	return err1 == nil && err2 == nil && pyEqual(va, vb)
}

// streamParse feeds text one character at a time and checks that the
// deltas add up to the final reply and never contain a partial marker.
func streamParse(t *testing.T, f Format, text string) Reply {
	p := NewReplyParser(f)
	var content, reason strings.Builder
	var calls []ToolCall
	for _, r := range text {
		d, err := p.Push(string(r))
		if err != nil {
			t.Fatalf("push: %v", err)
		}
		content.WriteString(d.Content)
		reason.WriteString(d.Reasoning)
		calls = append(calls, d.ToolCalls...)
	}
	final, d, err := p.Finish()
	if err != nil {
		t.Fatalf("finish: %v", err)
	}
	content.WriteString(d.Content)
	reason.WriteString(d.Reasoning)
	calls = append(calls, d.ToolCalls...)
	if content.String() != final.Content {
		t.Errorf("streamed content %q, final %q", content.String(), final.Content)
	}
	if reason.String() != final.Reasoning {
		t.Errorf("streamed reasoning %q, final %q", reason.String(), final.Reasoning)
	}
	if len(calls) != len(final.ToolCalls) {
		t.Errorf("streamed %d calls, final %d", len(calls), len(final.ToolCalls))
	}
	for _, m := range []string{"<tool", "[TOOL", "<|", "<｜", "</think", "<think"} {
		if strings.Contains(content.String(), m) {
			t.Errorf("content leaks marker %q: %q", m, content.String())
		}
	}
	return final
}

func TestReplyRoundTrip(t *testing.T) {
	toolsV, _ := DecodeJSON([]byte(`[{"type":"function","function":{"name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}},"required":["city"]}}}]`))
	tools := toolsV.(*List).Items
	want := ToolCall{Name: "get_weather", Arguments: `{"city":"Paris","days":3}`}
	cases := []struct {
		tmpl   string
		format ToolFormat
	}{
		{"hf/qwen3.jinja", ToolsHermes},
		{"llama.cpp/Qwen3-Coder.jinja", ToolsQwen3Coder},
		{"llama.cpp/mistralai-Mistral-Nemo-Instruct-2407.jinja", ToolsMistral},
		{"llama.cpp/meta-llama-Llama-3.1-8B-Instruct.jinja", ToolsLlama3},
		{"hf/deepseek_v3.jinja", ToolsDeepSeek},
		{"llama.cpp/moonshotai-Kimi-K2.jinja", ToolsKimiK2},
		{"llama.cpp/openai-gpt-oss-120b.jinja", ToolsHarmony},
	}
	for _, c := range cases {
		t.Run(c.tmpl, func(t *testing.T) {
			roundTrip(t, filepath.Join("testdata", "templates", c.tmpl), c.format, tools, want)
		})
	}
}

// roundTrip renders an assistant tool call through the template at path,
// parses the rendered reply (whole and one character at a time) and
// requires the same call back.
func roundTrip(t *testing.T, path string, format ToolFormat, tools []any, want ToolCall) {
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tm, err := Parse(string(src))
	if err != nil {
		t.Fatal(err)
	}
	f := DetectFormat(tm)
	if f.Tools != format {
		t.Fatalf("detected %q, want %q", f.Tools, format)
	}
	var text string
	ok := false
	for _, v := range []string{`"", {"city": "Paris", "days": 3}`, `null, {"city": "Paris", "days": 3}`,
		`"", "{\"city\": \"Paris\", \"days\": 3}"`, `null, "{\"city\": \"Paris\", \"days\": 3}"`} {
		content, args, _ := strings.Cut(v, ", ")
		conv, _ := DecodeJSON([]byte(`[{"role":"user","content":"Weather in Paris?"},
			{"role":"assistant","content":` + content + `,"tool_calls":[{"id":"call0abcd","type":"function","function":{"name":"get_weather","arguments":` + args + `}}]}]`))
		text, ok = replyFromTemplate(t, tm, conv.(*List).Items, tools)
		if !ok {
			continue
		}
		r, err := ParseReply(f, text)
		if err == nil && len(r.ToolCalls) == 1 && sameJSON(t, r.ToolCalls[0].Arguments, want.Arguments) {
			break
		}
	}
	if !ok {
		t.Fatalf("template did not render the tool call turn")
	}
	r := streamParse(t, f, text)
	if len(r.ToolCalls) != 1 {
		t.Fatalf("reply %q: got %d calls (%+v), want 1", text, len(r.ToolCalls), r)
	}
	got := r.ToolCalls[0]
	if got.Name != want.Name || !sameJSON(t, got.Arguments, want.Arguments) {
		t.Fatalf("reply %q: got %+v, want %+v", text, got, want)
	}
	if strings.TrimSpace(r.Content) != "" {
		t.Errorf("reply %q: unexpected content %q", text, r.Content)
	}
}

// TestReplyRoundTripCorpus covers the formats whose templates are only in
// the shared corpus: Mistral's [TOOL_CALLS]name[ARGS] and Functionary.
func TestReplyRoundTripCorpus(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "testdata", "templates", "llama.cpp")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("%s not found: the shared template corpus is not beside this checkout", dir)
	}
	toolsV, _ := DecodeJSON([]byte(`[{"type":"function","function":{"name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}},"required":["city"]}}}]`))
	tools := toolsV.(*List).Items
	want := ToolCall{Name: "get_weather", Arguments: `{"city":"Paris","days":3}`}
	for _, c := range []struct {
		file   string
		format ToolFormat
	}{
		{"Mistral-Small-3.2-24B-Instruct-2506.jinja", ToolsMistralArgs},
		{"unsloth-mistral-Devstral-Small-2507.jinja", ToolsMistralArgs},
		{"meetkai-functionary-medium-v3.1.jinja", ToolsFunctionary},
	} {
		t.Run(c.file, func(t *testing.T) { roundTrip(t, filepath.Join(dir, c.file), c.format, tools, want) })
	}
}

func TestReplyReasoning(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "templates", "hf", "qwen3.jinja"))
	if err != nil {
		t.Fatal(err)
	}
	tm, err := Parse(string(src))
	if err != nil {
		t.Fatal(err)
	}
	f := DetectFormat(tm)
	if f.ThinkStart != "<think>" || f.ThinkEnd != "</think>" {
		t.Fatalf("format %+v", f)
	}
	conv, _ := DecodeJSON([]byte(`[{"role":"user","content":"2+2?"},
		{"role":"assistant","content":"It is 4.","reasoning_content":"Add two and two."}]`))
	text, ok := replyFromTemplate(t, tm, conv.(*List).Items, nil)
	if !ok {
		t.Fatal("no reply rendered")
	}
	r := streamParse(t, f, text)
	if r.Reasoning != "Add two and two." || r.Content != "It is 4." {
		t.Fatalf("reply %q parsed as %+v", text, r)
	}
	// A think block opened by the prompt (ThinkInPrompt) and a reply cut
	// in the middle of a closing marker.
	f.ThinkInPrompt = true
	r = streamParse(t, f, "step one\n</think>\n\nanswer")
	if r.Reasoning != "step one" || r.Content != "answer" {
		t.Fatalf("got %+v", r)
	}
	p := NewReplyParser(f)
	d1, _ := p.Push("step one\n</thi")
	d2, _ := p.Push("nk>\n\nanswer <tool_ca")
	final, d3, err := p.Finish()
	if err != nil || d1.Reasoning != "step one" || d1.Content != "" || d2.Content != "answer" || d3.Content != " <tool_ca" || final.Content != "answer <tool_ca" {
		t.Fatalf("deltas %+v %+v %+v final %+v err %v", d1, d2, d3, final, err)
	}
}

func TestReplyHarmony(t *testing.T) {
	f := Format{Tools: ToolsHarmony}
	r := streamParse(t, f, "<|channel|>analysis<|message|>Think.<|end|><|start|>assistant<|channel|>final<|message|>Done.<|return|>")
	if r.Reasoning != "Think." || r.Content != "Done." {
		t.Fatalf("got %+v", r)
	}
	r = streamParse(t, f, "<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{\"city\":\"Paris\"}<|call|>")
	if len(r.ToolCalls) != 1 || r.ToolCalls[0].Name != "get_weather" || r.ToolCalls[0].Arguments != `{"city":"Paris"}` {
		t.Fatalf("got %+v", r)
	}
}

// TestThinkInPromptCorpus: templates whose generation prompt opens the
// think block (QwQ) are detected as such, and a reply that starts inside
// the block splits into reasoning and content, streamed or whole.
func TestThinkInPromptCorpus(t *testing.T) {
	path := filepath.Join("..", "..", "shared", "testdata", "templates", "llama.cpp", "Qwen-QwQ-32B.jinja")
	src, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("%s not found: the shared template corpus is not beside this checkout", path)
	}
	tm, err := Parse(string(src))
	if err != nil {
		t.Fatal(err)
	}
	// This version of the template closes the block unless the request
	// sets enable_thinking, so the default format does not start inside it.
	f := DetectFormat(tm)
	if f.ThinkInPrompt || f.ThinkStart != "<think>" || f.ThinkEnd != "</think>" {
		t.Fatalf("QwQ by default: format %+v, want think markers with the block closed in the prompt", f)
	}
	msgs := []any{map[string]any{"role": "user", "content": "2+2?"}}
	prompt, err := tm.Render(Options{Messages: msgs, AddGenerationPrompt: true, Kwargs: map[string]any{"enable_thinking": true}})
	if err != nil || !strings.HasSuffix(prompt, "<think>\n") {
		t.Fatalf("generation prompt %q (err %v) does not end inside the think block", prompt, err)
	}
	f = f.ForPrompt(prompt)
	if !f.ThinkInPrompt {
		t.Fatal("ForPrompt did not see the open think block")
	}
	r := streamParse(t, f, "Two plus two.\n</think>\n\nIt is 4.")
	if r.Reasoning != "Two plus two." || r.Content != "It is 4." {
		t.Fatalf("parsed %+v", r)
	}
}
