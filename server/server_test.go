package server

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go"
	"github.com/openai/openai-go/option"
)

// newTestServer serves the demo model on a loopback port.
func newTestServer(t testing.TB, cfg Config) (*Server, *httptest.Server) {
	t.Helper()
	if cfg.Threads == 0 {
		cfg.Threads = 1
	}
	if cfg.Slots == 0 {
		cfg.Slots = 8
	}
	cfg.Logger = log.New(io.Discard, "", 0)
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		hs.Close()
		s.Close()
	})
	return s, hs
}

func newClient(hs *httptest.Server, opts ...option.RequestOption) openai.Client {
	opts = append([]option.RequestOption{option.WithBaseURL(hs.URL + "/v1/"), option.WithAPIKey("none"), option.WithMaxRetries(0)}, opts...)
	return openai.NewClient(opts...)
}

func chatParams(prompt string, n int64) openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{
		Model:       "demo",
		Messages:    []openai.ChatCompletionMessageParamUnion{openai.UserMessage(prompt)},
		MaxTokens:   openai.Int(n),
		Temperature: openai.Float(0),
	}
}

func TestChat(t *testing.T) {
	_, hs := newTestServer(t, Config{})
	c := newClient(hs)
	ctx := context.Background()
	resp, err := c.Chat.Completions.New(ctx, chatParams("Once upon a time", 24))
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Choices) != 1 || resp.Choices[0].Message.Content == "" || resp.Choices[0].FinishReason != "length" {
		t.Fatalf("response %+v", resp)
	}
	if resp.Usage.CompletionTokens != 24 || resp.Usage.PromptTokens == 0 || resp.Usage.TotalTokens != resp.Usage.PromptTokens+24 {
		t.Errorf("usage %+v", resp.Usage)
	}
	if resp.Object != "chat.completion" || resp.Model != "demo" || !strings.HasPrefix(resp.ID, "chatcmpl-") {
		t.Errorf("object %q model %q id %q", resp.Object, resp.Model, resp.ID)
	}

	// Streamed: the same text, usage in the last chunk. Text the client
	// has not read yet is sent together in its next chunk, so a reader
	// that gets no CPU while the demo model's 24 tokens are generated (a
	// few milliseconds) sees few chunks: up to five tries to see it
	// streamed in several.
	p := chatParams("Once upon a time", 24)
	p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	var acc openai.ChatCompletionAccumulator
	chunks := 0
	for try := 0; try < 5 && chunks < 5; try++ {
		stream := c.Chat.Completions.NewStreaming(ctx, p)
		acc, chunks = openai.ChatCompletionAccumulator{}, 0
		for stream.Next() {
			acc.AddChunk(stream.Current())
			chunks++
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
	}
	if chunks < 5 {
		t.Errorf("%d chunks: not streamed", chunks)
	}
	if got, want := acc.Choices[0].Message.Content, resp.Choices[0].Message.Content; got != want {
		t.Errorf("streamed %q, not streamed %q", got, want)
	}
	if acc.Usage.CompletionTokens != 24 || acc.Choices[0].FinishReason != "length" {
		t.Errorf("stream usage %+v finish %q", acc.Usage, acc.Choices[0].FinishReason)
	}

	// n, seed, stop, logprobs.
	p = chatParams("Once upon a time", 12)
	p.N = openai.Int(2)
	p.Temperature = openai.Float(0.9)
	p.Seed = openai.Int(7)
	p.Logprobs = openai.Bool(true)
	p.TopLogprobs = openai.Int(2)
	resp2, err := c.Chat.Completions.New(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp2.Choices) != 2 || len(resp2.Choices[1].Logprobs.Content) == 0 || len(resp2.Choices[1].Logprobs.Content[0].TopLogprobs) != 2 {
		t.Fatalf("n=2 with logprobs: %+v", resp2.Choices)
	}
	resp3, err := c.Chat.Completions.New(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if resp2.Choices[i].Message.Content != resp3.Choices[i].Message.Content {
			t.Errorf("seeded choice %d differs: %q vs %q", i, resp2.Choices[i].Message.Content, resp3.Choices[i].Message.Content)
		}
	}
	full := resp.Choices[0].Message.Content
	p = chatParams("Once upon a time", 24)
	p.Stop = openai.ChatCompletionNewParamsStopUnion{OfString: openai.String(full[10:14])}
	resp4, err := c.Chat.Completions.New(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if got := resp4.Choices[0].Message.Content; got != full[:10] || resp4.Choices[0].FinishReason != "stop" {
		t.Errorf("with stop %q: %q (%s), want %q", full[10:14], got, resp4.Choices[0].FinishReason, full[:10])
	}
}

func TestCompletions(t *testing.T) {
	_, hs := newTestServer(t, Config{})
	c := newClient(hs)
	ctx := context.Background()
	resp, err := c.Completions.New(ctx, openai.CompletionNewParams{
		Model:       "demo",
		Prompt:      openai.CompletionNewParamsPromptUnion{OfString: openai.String("Lily went to the")},
		MaxTokens:   openai.Int(16),
		Temperature: openai.Float(0),
		Logprobs:    openai.Int(2),
	})
	if err != nil {
		t.Fatal(err)
	}
	ch := resp.Choices[0]
	if ch.Text == "" || !strings.HasPrefix(ch.Text, " ") || len(ch.Logprobs.Tokens) != 16 || resp.Usage.CompletionTokens != 16 {
		t.Errorf("completion %q, %d logprob tokens, usage %+v", ch.Text, len(ch.Logprobs.Tokens), resp.Usage)
	}
	stream := c.Completions.NewStreaming(ctx, openai.CompletionNewParams{
		Model:       "demo",
		Prompt:      openai.CompletionNewParamsPromptUnion{OfString: openai.String("Lily went to the")},
		MaxTokens:   openai.Int(16),
		Temperature: openai.Float(0),
	})
	var text strings.Builder
	for stream.Next() {
		for _, c := range stream.Current().Choices {
			text.WriteString(c.Text)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if text.String() != ch.Text {
		t.Errorf("streamed %q, not streamed %q", text.String(), ch.Text)
	}
}

func TestModels(t *testing.T) {
	_, hs := newTestServer(t, Config{})
	c := newClient(hs)
	page, err := c.Models.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Data) != 1 || page.Data[0].ID != "demo" {
		t.Errorf("models %+v", page.Data)
	}
	m, err := c.Models.Get(context.Background(), "demo")
	if err != nil || m.ID != "demo" {
		t.Errorf("get demo: %v %+v", err, m)
	}
	if _, err := c.Models.Get(context.Background(), "nope"); apiStatus(err) != 404 {
		t.Errorf("get unknown model: %v", err)
	}
}

func apiStatus(err error) int {
	var ae *openai.Error
	if errors.As(err, &ae) {
		return ae.StatusCode
	}
	return 0
}

func post(t *testing.T, url, body string, hdr ...string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: status %d, body %q is not JSON", body[:min(len(body), 60)], resp.StatusCode, b)
	}
	return resp.StatusCode, m
}

func TestErrors(t *testing.T) {
	_, hs := newTestServer(t, Config{Ctx: 64, MaxBodyBytes: 1 << 16})
	c := newClient(hs)
	ctx := context.Background()

	_, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-4o",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
	var ae *openai.Error
	if !errors.As(err, &ae) || ae.StatusCode != 404 || ae.Code != "model_not_found" || ae.Type != "invalid_request_error" {
		t.Errorf("unknown model: %v", err)
	}
	_, err = c.Chat.Completions.New(ctx, chatParams(strings.Repeat("Once upon a time ", 30), 8))
	if !errors.As(err, &ae) || ae.StatusCode != 400 || ae.Code != "context_length_exceeded" || !strings.Contains(ae.Message, "context holds 64 tokens") {
		t.Errorf("prompt longer than the context: %v", err)
	}
	_, err = c.Completions.New(ctx, openai.CompletionNewParams{Model: "demo",
		Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("Once upon a time")}, MaxTokens: openai.Int(100)})
	if !errors.As(err, &ae) || ae.StatusCode != 400 || !strings.Contains(ae.Message, "5 in the prompt, 100 to generate") {
		t.Errorf("prompt + max_tokens over the context: %v", err)
	}

	u := hs.URL + "/v1/chat/completions"
	for _, tc := range []struct {
		body   string
		status int
		param  string
	}{
		{`{bad json`, 400, ""},
		{``, 400, ""},
		{`[]`, 400, ""},
		{`{"model":"demo","messages":[]}`, 400, "messages"},
		{`{"model":"demo","messages":"hi"}`, 400, "messages"},
		{`{"model":"demo","messages":[{"role":"user","content":"hi"}],"temperature":"hot"}`, 400, "temperature"},
		{`{"model":"demo","messages":[{"role":"user","content":"hi"}],"temperature":5}`, 400, "temperature"},
		{`{"model":"demo","messages":[{"role":"user","content":"hi"}],"max_tokens":0}`, 400, "max_tokens"},
		{`{"model":"demo","messages":[{"role":"user","content":"hi"}],"n":100}`, 400, "n"},
		{`{"model":"demo","messages":[{"role":"wizard","content":"hi"}]}`, 400, "messages[0].role"},
		{`{"model":"demo","messages":[{"role":"user","content":[{"type":"image_url"}]}]}`, 400, "messages[0].content[0].type"},
		{`{"model":"demo","messages":[{"role":"user","content":"hi"}],"tool_choice":"sometimes"}`, 400, "tool_choice"},
		{`{"model":"demo","messages":[{"role":"user","content":"hi"}],"stop":5}`, 400, "stop"},
		{`{"messages":[{"role":"user","content":"hi"}]}`, 400, "model"},
		{`{"model":"demo","messages":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, 400, ""},
		{`{"model":"demo","messages":[{"role":"user","content":"` + strings.Repeat("a", 1<<17) + `"}]}`, 413, ""},
	} {
		status, m := post(t, u, tc.body)
		e, _ := m["error"].(map[string]any)
		if status != tc.status || e == nil || e["message"] == "" || e["type"] == nil {
			t.Errorf("%.60s: status %d %v, want %d", tc.body, status, m, tc.status)
			continue
		}
		if p, _ := e["param"].(string); p != tc.param {
			t.Errorf("%.60s: param %q, want %q", tc.body, p, tc.param)
		}
	}
	status, _ := post(t, hs.URL+"/v1/nothing", `{}`)
	if status != 404 {
		t.Errorf("unknown route: %d", status)
	}
}

func TestAPIKey(t *testing.T) {
	_, hs := newTestServer(t, Config{APIKey: "sekrit"})
	if _, err := func() (any, error) { c := newClient(hs); return c.Models.List(context.Background()) }(); apiStatus(err) != 401 {
		t.Errorf("wrong key: %v", err)
	}
	if _, err := func() (any, error) {
		c := newClient(hs, option.WithAPIKey("sekrit"))
		return c.Models.List(context.Background())
	}(); err != nil {
		t.Errorf("right key: %v", err)
	}
	get := func(path string, set func(*http.Request)) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", hs.URL+path, nil)
		if set != nil {
			set(req)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/health", nil); code != 200 {
		t.Errorf("/health without a key: %d", code)
	}
	for _, path := range []string{"/metrics", "/v1/models", "/api/tags", "/nowhere"} {
		if code, _ := get(path, nil); code != 401 {
			t.Errorf("%s without a key: %d", path, code)
		}
	}
	// The page: without the key, a 401 with a form that asks for it and
	// nothing of the page; with it (header or the form's cookie), the page.
	if code, body := get("/", nil); code != 401 || !strings.Contains(body, `id="key"`) || strings.Contains(body, `id="model"`) {
		t.Errorf("/ without a key: %d %.200s", code, body)
	}
	cookie := func(v string) func(*http.Request) {
		return func(r *http.Request) { r.AddCookie(&http.Cookie{Name: keyCookie, Value: v}) }
	}
	if code, _ := get("/", cookie("wrong")); code != 401 {
		t.Errorf("/ with a wrong cookie: %d", code)
	}
	for name, set := range map[string]func(*http.Request){
		"bearer": func(r *http.Request) { r.Header.Set("Authorization", "Bearer sekrit") },
		"cookie": cookie("sekrit"),
	} {
		if code, body := get("/", set); code != 200 || !strings.Contains(body, `id="model"`) {
			t.Errorf("/ with the key (%s): %d", name, code)
		}
	}
	// The cookie opens the page only, not the API.
	if code, _ := get("/v1/models", cookie("sekrit")); code != 401 {
		t.Errorf("/v1/models with the cookie: %d", code)
	}
}

// A client that goes away mid-stream frees its slot.
func TestCancelOnDisconnect(t *testing.T) {
	s, hs := newTestServer(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	body := `{"model":"demo","messages":[{"role":"user","content":"Once upon a time"}],"stream":true,"temperature":0}`
	req, _ := http.NewRequestWithContext(ctx, "POST", hs.URL+"/v1/chat/completions", strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(resp.Body)
	for range 3 {
		if _, err := r.ReadString('\n'); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	resp.Body.Close()
	sched := s.models[0].current().sched
	deadline := time.Now().Add(5 * time.Second)
	for sched.Stats().Active != 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if st := sched.Stats(); st.Active != 0 {
		t.Errorf("after disconnect: %+v", st)
	}
}

func TestOllama(t *testing.T) {
	_, hs := newTestServer(t, Config{})
	status, m := post(t, hs.URL+"/api/chat", `{"model":"demo","messages":[{"role":"user","content":"Once upon a time"}],"stream":false,"options":{"temperature":0,"num_predict":8}}`)
	msg, _ := m["message"].(map[string]any)
	if status != 200 || m["done"] != true || msg == nil || msg["content"] == "" || m["eval_count"] != 8.0 {
		t.Errorf("/api/chat: %d %v", status, m)
	}
	// Streamed: NDJSON lines, the last one done.
	resp, err := http.Post(hs.URL+"/api/generate", "application/json", strings.NewReader(`{"model":"demo","prompt":"Lily","options":{"num_predict":6,"seed":1}}`))
	if err != nil {
		t.Fatal(err)
	}
	var lines []map[string]any
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var l map[string]any
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		lines = append(lines, l)
	}
	resp.Body.Close()
	if len(lines) < 2 || lines[len(lines)-1]["done"] != true || lines[0]["response"] == nil {
		t.Errorf("/api/generate stream: %v", lines)
	}
	resp, err = http.Get(hs.URL + "/api/tags")
	if err != nil {
		t.Fatal(err)
	}
	var tags struct {
		Models []struct {
			Name    string
			Details map[string]any
		}
	}
	json.NewDecoder(resp.Body).Decode(&tags)
	resp.Body.Close()
	if len(tags.Models) != 1 || tags.Models[0].Name != "demo" || tags.Models[0].Details["family"] != "llama" {
		t.Errorf("/api/tags: %+v", tags)
	}
	status, m = post(t, hs.URL+"/api/show", `{"model":"demo"}`)
	if status != 200 || m["model_info"] == nil {
		t.Errorf("/api/show: %d %v", status, m)
	}
	status, m = post(t, hs.URL+"/api/chat", `{"model":"llama3","messages":[{"role":"user","content":"hi"}]}`)
	if status != 404 || m["error"] != "model 'llama3' not found" {
		t.Errorf("/api/chat unknown model: %d %v", status, m)
	}
}

func TestMetricsAndHealth(t *testing.T) {
	_, hs := newTestServer(t, Config{})
	c := newClient(hs)
	if _, err := c.Chat.Completions.New(context.Background(), chatParams("Once upon a time", 4)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(hs.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`hearth_requests_total{endpoint="chat",code="200"} 1`, "hearth_generated_tokens_total 4",
		`hearth_queue_depth{model="demo"} 0`, "hearth_time_to_first_token_seconds_count 1", "hearth_tokens_per_second"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("/metrics lacks %q:\n%s", want, b)
		}
	}
	resp, err = http.Get(hs.URL + "/health")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("/health: %v", err)
	}
	resp.Body.Close()
	resp, err = http.Get(hs.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "<html") && !strings.Contains(string(b), "<!doctype html>") {
		t.Errorf("/ is not the chat page: %.100s", b)
	}
}

// FuzzDecodeRequest sends arbitrary bodies through the API handlers (the
// model's context is small, so any generation is short): no panics, and
// every answer is JSON or an event stream.
func FuzzDecodeRequest(f *testing.F) {
	s, err := New(Config{Threads: 1, Slots: 2, Ctx: 24, Logger: log.New(io.Discard, "", 0)})
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	h := s.Handler()
	for _, seed := range []string{
		`{"model":"demo","messages":[{"role":"user","content":"hi"}],"max_tokens":2}`,
		`{"model":"demo","messages":[{"role":"user","content":[{"type":"text","text":"a"}]}],"stream":true,"n":2,"logprobs":true,"top_logprobs":3,"max_tokens":2}`,
		`{"model":"demo","messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]}],"tools":[{"type":"function","function":{"name":"f","parameters":{}}}],"tool_choice":{"type":"function","function":{"name":"f"}},"max_tokens":1}`,
		`{"model":"demo","prompt":[1,2,3],"max_tokens":2,"stop":["a","b"]}`,
		`{"model":"demo","prompt":[[1,2],[3]],"echo":true,"logprobs":2,"max_tokens":1}`,
		`{"model":"demo","prompt":"x","options":{"num_predict":2},"format":"json","stream":false}`,
		`{"model":"demo","response_format":{"type":"json_schema","json_schema":{"name":"a","schema":{"type":"object"}}}}`,
		`{"model":"demo","messages":[{"role":"user","content":"hi"}],"max_tokens":1e400}`,
		`{"model":"demo","prompt":[[]],"max_tokens":1}`,
		`{"model":"demo","prompt":[70000],"max_tokens":1}`,
		`{"model":"demo","prompt":"a","options":{"repeat_last_n":-5,"repeat_penalty":1.2,"num_predict":2}}`,
		`{"model":"demo","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]}}}],"tool_choice":"required","max_tokens":3}`,
		`{"model":"demo","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"g","parameters":{"anyOf":[]}}}],"tool_choice":{"type":"function","function":{"name":"g"}},"stream":true,"max_tokens":3}`,
	} {
		for ep := range 4 {
			f.Add(byte(ep), []byte(seed))
		}
	}
	paths := []string{"/v1/chat/completions", "/v1/completions", "/api/chat", "/api/generate"}
	f.Fuzz(func(t *testing.T, ep byte, body []byte) {
		path := paths[int(ep)%len(paths)]
		req := httptest.NewRequest("POST", path, strings.NewReader(string(body)))
		ctx, cancel := context.WithTimeout(req.Context(), 10*time.Second)
		defer cancel()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req.WithContext(ctx))
		if rec.Code == 0 || rec.Code >= 500 && rec.Code != 503 {
			t.Errorf("%s %q: status %d %s", path, body, rec.Code, rec.Body.Bytes())
		}
		ct := rec.Header().Get("Content-Type")
		if !strings.HasPrefix(ct, "application/json") && !strings.HasPrefix(ct, "text/event-stream") && !strings.HasPrefix(ct, "application/x-ndjson") {
			t.Errorf("%s %q: content type %q", path, body, ct)
		}
		if strings.HasPrefix(ct, "application/json") && !json.Valid(rec.Body.Bytes()) {
			t.Errorf("%s %q: invalid JSON answer %q", path, body, rec.Body.Bytes())
		}
	})
}

// The chat page is self-contained (nothing loaded from elsewhere) and has
// its controls: model picker, stop button, history in localStorage.
func TestWebPage(t *testing.T) {
	_, hs := newTestServer(t, Config{})
	resp, err := http.Get(hs.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(b)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("content type %q", ct)
	}
	for _, bad := range []string{`src="http`, `href="http`, "@import", "<link "} {
		if strings.Contains(page, bad) {
			t.Errorf("the page loads something from elsewhere: %q", bad)
		}
	}
	for _, want := range []string{`id="model"`, `id="stop"`, "localStorage", "/v1/chat/completions", "stream: true", "AbortController", "reasoning_content"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

func TestStructuredOutput(t *testing.T) {
	_, hs := newTestServer(t, Config{})
	c := newClient(hs)
	ctx := context.Background()
	schema := map[string]any{
		"type": "object",
		"properties": map[string]any{
			"mood":  map[string]any{"enum": []any{"happy", "sad"}},
			"count": map[string]any{"type": "integer"},
			"ok":    map[string]any{"type": "boolean"},
		},
		"required":             []any{"mood", "count", "ok"},
		"additionalProperties": false,
	}
	p := chatParams("Once upon a time", 60)
	p.ResponseFormat = openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONSchema: &openai.ResponseFormatJSONSchemaParam{
		JSONSchema: openai.ResponseFormatJSONSchemaJSONSchemaParam{Name: "story", Schema: schema, Strict: openai.Bool(true)}}}
	resp, err := c.Chat.Completions.New(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Mood  string `json:"mood"`
		Count *int   `json:"count"`
		OK    *bool  `json:"ok"`
	}
	content := resp.Choices[0].Message.Content
	if err := json.Unmarshal([]byte(content), &v); err != nil || (v.Mood != "happy" && v.Mood != "sad") || v.Count == nil || v.OK == nil {
		t.Errorf("json_schema reply %q (%s): %v", content, resp.Choices[0].FinishReason, err)
	}
	if resp.Choices[0].FinishReason != "stop" {
		t.Errorf("finish reason %q", resp.Choices[0].FinishReason)
	}

	// json_object: whatever the model says is an object once it finishes.
	p = chatParams("Once upon a time", 200)
	p.ResponseFormat = openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONObject: &openai.ResponseFormatJSONObjectParam{}}
	resp, err = c.Chat.Completions.New(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	content = resp.Choices[0].Message.Content
	if resp.Choices[0].FinishReason == "stop" {
		var m map[string]any
		if err := json.Unmarshal([]byte(content), &m); err != nil {
			t.Errorf("json_object reply %q: %v", content, err)
		}
	} else if !strings.HasPrefix(strings.TrimSpace(content), "{") {
		t.Errorf("json_object reply %q", content)
	}

	// Unsupported schema features: a 400 that names them.
	p = chatParams("Once upon a time", 10)
	p.ResponseFormat = openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONSchema: &openai.ResponseFormatJSONSchemaParam{
		JSONSchema: openai.ResponseFormatJSONSchemaJSONSchemaParam{Name: "x", Schema: map[string]any{"type": "string", "pattern": "^a"}}}}
	_, err = c.Chat.Completions.New(ctx, p)
	var ae *openai.Error
	if !errors.As(err, &ae) || ae.StatusCode != 400 || !strings.Contains(ae.Message, "pattern") {
		t.Errorf("unsupported schema: %v", err)
	}
}
