package server

import (
	"context"
	"encoding/json"
	"log"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openai/openai-go"
)

// syncLog collects log lines safely across goroutines.
type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitUntil polls cond for up to d.
func waitUntil(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// --lazy loads a model on its first request; --idle-unload unloads it
// once nobody used it for that long, never while a request holds it, and
// the next request loads it again.
func TestLazyLoadAndIdleUnload(t *testing.T) {
	var logs syncLog
	const idle = 150 * time.Millisecond
	s, err := New(Config{LazyLoad: true, IdleUnload: idle, Threads: 1, Slots: 2, Logger: log.New(&logs, "", 0)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	e := s.models[0]
	if e.current() != nil {
		t.Fatal("--lazy: loaded before any request")
	}
	hs := newHTTPTest(t, s)
	c := newClient(hs)
	ctx := context.Background()
	// Listing models does not load them.
	if page, err := c.Models.List(ctx); err != nil || len(page.Data) != 1 {
		t.Fatalf("models: %v", err)
	}
	if e.current() != nil {
		t.Fatal("--lazy: /v1/models loaded the model")
	}
	if _, err := c.Chat.Completions.New(ctx, chatParams("Once upon a time", 4)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "loaded demo") {
		t.Errorf("no load logged: %q", logs.String())
	}
	// Unloaded once idle.
	if !waitUntil(5*time.Second, func() bool { return e.current() == nil }) {
		t.Fatal("not unloaded after the idle timeout")
	}
	if !strings.Contains(logs.String(), "unloaded demo after") {
		t.Errorf("no unload logged: %q", logs.String())
	}
	// The next request loads it again.
	resp, err := c.Chat.Completions.New(ctx, chatParams("Once upon a time", 4))
	if err != nil || resp.Choices[0].Message.Content == "" {
		t.Fatalf("after unload: %v", err)
	}
	if n := strings.Count(logs.String(), "loaded demo in"); n != 2 {
		t.Errorf("%d loads logged, want 2", n)
	}
	// In use: kept however long.
	lm, err := e.acquire()
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * idle)
	if e.current() != lm {
		t.Fatal("unloaded while in use")
	}
	e.release()
	if !waitUntil(5*time.Second, func() bool { return e.current() == nil }) {
		t.Fatal("not unloaded after the last use")
	}
	// Closed: requests fail cleanly, nothing reloads.
	s.Close()
	if _, err := c.Chat.Completions.New(ctx, chatParams("Once upon a time", 4)); apiStatus(err) < 500 {
		t.Errorf("after close: %v", err)
	}
	if e.current() != nil {
		t.Error("reloaded after close")
	}
}

// Stop strings stay in force with response_format: the document is cut
// at the first one, as OpenAI does.
func TestStopWithResponseFormat(t *testing.T) {
	_, hs := newTestServer(t, Config{})
	c := newClient(hs)
	p := chatParams("Once upon a time", 40)
	p.ResponseFormat = openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONObject: &openai.ResponseFormatJSONObjectParam{}}
	p.Stop = openai.ChatCompletionNewParamsStopUnion{OfString: openai.String(`"`)}
	for seed := range int64(3) {
		p.Seed = openai.Int(seed)
		p.Temperature = openai.Float(1)
		resp, err := c.Chat.Completions.New(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		got := resp.Choices[0].Message.Content
		if strings.Contains(got, `"`) || !strings.HasPrefix(got, "{") {
			t.Errorf("seed %d: %q", seed, got)
		}
		if got != "{}" && resp.Choices[0].FinishReason != "stop" {
			t.Errorf("seed %d: %q finished with %q", seed, got, resp.Choices[0].FinishReason)
		}
		if got == "{}" {
			var v map[string]any
			if json.Unmarshal([]byte(got), &v) != nil {
				t.Errorf("%q", got)
			}
		}
	}
}

// newHTTPTest serves s on a loopback port for the test's life.
func newHTTPTest(t *testing.T, s *Server) *httptest.Server {
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	return hs
}
