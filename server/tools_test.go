package server

import (
	"context"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/hearthlm/hearth/chat"
	"github.com/hearthlm/hearth/sample"
	"github.com/openai/openai-go"
	"github.com/openai/openai-go/shared"
)

// testTools are two tools whose arguments the grammar can always finish
// (enums, integers, booleans), so that a random model ends its call well
// within the token budget.
func testTools() []openai.ChatCompletionToolParam {
	return []openai.ChatCompletionToolParam{
		{Function: shared.FunctionDefinitionParam{Name: "get_weather", Description: openai.String("Weather in a city"),
			Parameters: shared.FunctionParameters{"type": "object", "properties": map[string]any{
				"city": map[string]any{"type": "string", "enum": []any{"Paris", "Oslo"}},
				"days": map[string]any{"type": "integer", "description": "how many days"},
			}, "required": []any{"city", "days"}}}},
		{Function: shared.FunctionDefinitionParam{Name: "get_time",
			Parameters: shared.FunctionParameters{"type": "object", "properties": map[string]any{
				"utc": map[string]any{"type": "boolean"},
			}, "required": []any{"utc"}}}},
	}
}

// checkCall checks that a call is to one of names with arguments valid for it.
func checkCall(t *testing.T, name, args string, names ...string) {
	t.Helper()
	if !slices.Contains(names, name) {
		t.Errorf("called %q, want one of %v", name, names)
		return
	}
	var a map[string]any
	if err := json.Unmarshal([]byte(args), &a); err != nil {
		t.Errorf("%s arguments %q: %v", name, args, err)
		return
	}
	switch name {
	case "get_weather":
		d, ok := a["days"].(float64)
		if c := a["city"]; (c != "Paris" && c != "Oslo") || !ok || d != float64(int64(d)) || len(a) != 2 {
			t.Errorf("get_weather arguments %s", args)
		}
	case "get_time":
		if _, ok := a["utc"].(bool); !ok || len(a) != 1 {
			t.Errorf("get_time arguments %s", args)
		}
	}
}

func toolParams(model string, choice openai.ChatCompletionToolChoiceOptionUnionParam, seed int64) openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{
		Model:       model,
		Messages:    []openai.ChatCompletionMessageParamUnion{openai.UserMessage("What is the weather in Paris?")},
		Tools:       testTools(),
		ToolChoice:  choice,
		MaxTokens:   openai.Int(120),
		Temperature: openai.Float(1),
		Seed:        openai.Int(seed),
		Stop:        openai.ChatCompletionNewParamsStopUnion{OfString: openai.String("\n")}, // would cut the call; ignored
	}
}

// TestToolChoice drives tool_choice "required" and a named function on a
// model with a Hermes tool-call template (Qwen3's): whatever the random
// model would say, the reply is one valid call to an offered tool.
func TestToolChoice(t *testing.T) {
	path := toolModel(t)
	_, hs := newTestServer(t, Config{Models: []string{path, "demo"}, Slots: 2})
	c := newClient(hs)
	ctx := context.Background()
	required := openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: openai.String("required")}
	named := openai.ChatCompletionToolChoiceOptionParamOfChatCompletionNamedToolChoice(
		openai.ChatCompletionNamedToolChoiceFunctionParam{Name: "get_time"})

	for _, model := range []string{"toolqwen", "demo"} { // demo: no template, the Hermes syntax stands in
		for seed := range int64(2) {
			resp, err := c.Chat.Completions.New(ctx, toolParams(model, required, seed))
			if err != nil {
				t.Fatal(err)
			}
			ch := resp.Choices[0]
			if len(ch.Message.ToolCalls) != 1 || ch.FinishReason != "tool_calls" {
				t.Fatalf("%s required, seed %d: %d calls, finish %q, content %q", model, seed, len(ch.Message.ToolCalls), ch.FinishReason, ch.Message.Content)
			}
			tc := ch.Message.ToolCalls[0]
			checkCall(t, tc.Function.Name, tc.Function.Arguments, "get_weather", "get_time")
			if !strings.HasPrefix(tc.ID, "call_") || ch.Message.Content != "" {
				t.Errorf("call id %q, content %q", tc.ID, ch.Message.Content)
			}
		}
		resp, err := c.Chat.Completions.New(ctx, toolParams(model, named, 9))
		if err != nil {
			t.Fatal(err)
		}
		if calls := resp.Choices[0].Message.ToolCalls; len(calls) != 1 {
			t.Fatalf("%s named: %d calls, content %q", model, len(calls), resp.Choices[0].Message.Content)
		} else {
			checkCall(t, calls[0].Function.Name, calls[0].Function.Arguments, "get_time")
		}
	}

	// Streamed: the call comes as a tool_calls delta.
	stream := c.Chat.Completions.NewStreaming(ctx, toolParams("toolqwen", required, 4))
	var acc openai.ChatCompletionAccumulator
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if len(acc.Choices) != 1 || len(acc.Choices[0].Message.ToolCalls) != 1 || acc.Choices[0].FinishReason != "tool_calls" {
		t.Fatalf("streamed: %+v", acc.Choices)
	}
	tc := acc.Choices[0].Message.ToolCalls[0]
	checkCall(t, tc.Function.Name, tc.Function.Arguments, "get_weather", "get_time")

	// The call goes back into the conversation and the next turn renders.
	p := toolParams("toolqwen", openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: openai.String("auto")}, 1)
	p.Messages = append(p.Messages, acc.Choices[0].Message.ToParam(), openai.ToolMessage(`{"ok":true}`, tc.ID))
	p.MaxTokens = openai.Int(4)
	if _, err := c.Chat.Completions.New(ctx, p); err != nil {
		t.Fatal(err)
	}
}

// TestToolCallGrammarFormats checks, for every format with a grammar,
// that the grammar takes a call written in that format and that the
// format's reply parser reads the call back.
func TestToolCallGrammarFormats(t *testing.T) {
	tools := []json.RawMessage{
		json.RawMessage(`{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]}}}`),
		json.RawMessage(`{"type":"function","function":{"name":"g","parameters":{"type":"object","properties":{"x":{"anyOf":[{"type":"string"}]}}}}}`),
	}
	args := `{"a":12}`
	for format, doc := range map[chat.ToolFormat]string{
		chat.ToolsHermes:      "<tool_call>\n{\"name\":\"f\",\"arguments\":{\"a\":12}}\n</tool_call>",
		chat.ToolsNone:        "<tool_call>\n{\"name\":\"f\",\"arguments\":{\"a\":12}}\n</tool_call>",
		chat.ToolsHarmony:     "<tool_call>\n{\"name\":\"f\",\"arguments\":{\"a\":12}}\n</tool_call>",
		chat.ToolsMistral:     `[TOOL_CALLS][{"name":"f","arguments":{"a":12}}]`,
		chat.ToolsMistralArgs: `[TOOL_CALLS]f[ARGS]{"a":12}`,
		chat.ToolsLlama3:      `{"name":"f","parameters":{"a":12}}`,
		chat.ToolsFunctionary: `<function=f>{"a":12}</function>`,
		chat.ToolsKimiK2:      `<|tool_calls_section_begin|><|tool_call_begin|>functions.f:0<|tool_call_argument_begin|>{"a":12}<|tool_call_end|><|tool_calls_section_end|>`,
		chat.ToolsDeepSeek:    "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>f<｜tool▁sep｜>{\"a\":12}<｜tool▁call▁end｜><｜tool▁calls▁end｜>",
	} {
		gr, f, err := toolCallGrammar(&chat.Format{Tools: format}, tools, t.Logf)
		if err != nil {
			t.Fatal(err)
		}
		if !grammarAccepts(gr, doc) {
			t.Errorf("%s: the grammar rejects %q", format, doc)
		}
		if bad := strings.Replace(doc, `"a":12`, `"a":"12"`, 1); grammarAccepts(gr, bad) {
			t.Errorf("%s: the grammar takes %q", format, bad)
		}
		r, err := chat.ParseReply(*f, doc)
		if err != nil || len(r.ToolCalls) != 1 || r.ToolCalls[0].Name != "f" || r.ToolCalls[0].Arguments != args {
			t.Errorf("%s: %q parses as %+v, %v", format, doc, r, err)
		}
	}
	// g's schema has a keyword the grammar lacks: any object will do.
	gr, _, _ := toolCallGrammar(nil, tools, t.Logf)
	if !grammarAccepts(gr, "<tool_call>\n{\"name\":\"g\",\"arguments\":{\"y\":[1]}}\n</tool_call>") {
		t.Error("g with any arguments")
	}
	// A think block the prompt opened is closed first.
	gr, _, _ = toolCallGrammar(&chat.Format{Tools: chat.ToolsHermes, ThinkStart: "<think>", ThinkEnd: "</think>", ThinkInPrompt: true}, tools[:1], t.Logf)
	if !grammarAccepts(gr, "</think>\n\n<tool_call>\n{\"name\":\"f\",\"arguments\":{\"a\":1}}\n</tool_call>") {
		t.Error("think block")
	}
	if _, _, err := toolCallGrammar(nil, nil, t.Logf); err == nil {
		t.Error("no tools: no error")
	}
}

// grammarAccepts runs doc through a matcher over a byte vocabulary.
func grammarAccepts(g *sample.Grammar, doc string) bool {
	vocab := [][]byte{nil}
	for c := range 256 {
		vocab = append(vocab, []byte{byte(c)})
	}
	m := g.NewMatcher(vocab, func(id int32) bool { return id == 0 })
	logits := make([]float32, len(vocab))
	for i := range len(doc) {
		tok := int32(doc[i]) + 1
		clear(logits)
		m.Mask(logits)
		if math.IsInf(float64(logits[tok]), -1) {
			return false
		}
		if m.Accept(tok) && i != len(doc)-1 {
			return false
		}
	}
	return m.Complete()
}
