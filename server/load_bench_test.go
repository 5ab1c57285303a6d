package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The load test: clients stream chat completions from the real HTTP
// server on a loopback port, with temperature 0 and a bounded number of
// tokens, one client alone and eight at once. Every stream must end with a
// finish reason, usage and [DONE], and each output must be the one its
// request gives alone: on a second server with a single slot, where every
// forward pass carries one sequence. BenchmarkStreams8 reports aggregate
// generation tokens/s (completion tokens of all streams over the wall time
// of the round, prompts included) for both and their ratio:
//
//	go test ./server -run '^$' -bench Streams8 -benchtime 3x
//	HEARTH_LOAD_MODEL=/tmp/bm/qwen06b-q4km.gguf go test ./server -run '^$' -bench Streams8 -benchtime 5x -timeout 30m
//
// HEARTH_LOAD_MODEL is any model reference hearth serve takes (default:
// the demo); HEARTH_LOAD_TOKENS the tokens per request (default 48 on the
// demo, 128 on another model: replies long enough that generation, not the
// prompts' prefill, takes most of the time, as the figure is generation
// throughput; the prefill of eight new prompts costs eight times one, so
// with short replies it weighs more and the ratio is lower). An output
// that differs from its request's output alone fails the benchmark,
// whatever the weight type: each sequence's rows of a pass are computed as
// in a pass of their own (model.Order), and prompts are prefilled in the
// same pieces under any load (engine.prefillPiece).

// loadPrompts are the clients' user messages.
var loadPrompts = []string{"Once upon a time", "Lily went to the park", "The cat sat", "Tom had a big red ball",
	"One day, a little bird", "The sun was hot and", "Sam and his mom", "There was a tree"}

// loadPrompt is client i's message in round r: round 0 sends loadPrompts
// as they are, later rounds number them, so that no round finds its
// prompts in the KV cache from an earlier one.
func loadPrompt(r, i int) string {
	if r == 0 {
		return loadPrompts[i]
	}
	return fmt.Sprintf("Story %d. %s", r, loadPrompts[i])
}

// streamOut is what one streamed chat completion returned.
type streamOut struct {
	content, reasoning string
	tokens             int    // usage.completion_tokens
	finish             string // finish_reason
	ttft               time.Duration
}

// loadServer is a server on 127.0.0.1 with an HTTP client for it.
type loadServer struct {
	srv    *Server
	url    string
	client *http.Client
	model  string
	tokens int // max_tokens of every request
}

func loadConfig() (ref string, tokens int) {
	ref, tokens = os.Getenv("HEARTH_LOAD_MODEL"), 48
	if ref != "" {
		tokens = 128
	}
	if v, err := strconv.Atoi(os.Getenv("HEARTH_LOAD_TOKENS")); err == nil && v > 0 {
		tokens = v
	}
	return ref, tokens
}

// newLoadServer serves the model ref with the given slots on 127.0.0.1.
func newLoadServer(tb testing.TB, ref string, slots, tokens int) *loadServer {
	tb.Helper()
	s, err := New(Config{Models: []string{ref}, Slots: slots, Ctx: max(256, tokens+128),
		Logger: log.New(io.Discard, "", 0)})
	if err != nil {
		tb.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler()) // 127.0.0.1:0
	tr := &http.Transport{MaxIdleConnsPerHost: 2 * len(loadPrompts), DisableCompression: true}
	tb.Cleanup(func() {
		tr.CloseIdleConnections()
		hs.Close()
		s.Close()
	})
	return &loadServer{srv: s, url: hs.URL + "/v1/chat/completions", client: &http.Client{Transport: tr},
		model: s.models[0].name, tokens: tokens}
}

// stream runs one streamed chat completion and checks that it ended
// properly.
func (ls *loadServer) stream(ctx context.Context, prompt string) (streamOut, error) {
	var out streamOut
	body, _ := json.Marshal(map[string]any{
		"model": ls.model, "messages": []any{map[string]any{"role": "user", "content": prompt}},
		"max_tokens": ls.tokens, "temperature": 0, "stream": true, "stream_options": map[string]any{"include_usage": true},
	})
	req, err := http.NewRequestWithContext(ctx, "POST", ls.url, bytes.NewReader(body))
	if err != nil {
		return out, err
	}
	req.Header.Set("Content-Type", "application/json")
	t0 := time.Now()
	resp, err := ls.client.Do(req)
	if err != nil {
		return out, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return out, fmt.Errorf("status %s: %s", resp.Status, b)
	}
	var content, reasoning strings.Builder
	usage := false
	r := bufio.NewReader(resp.Body)
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			return out, fmt.Errorf("the stream ended before [DONE]: %w", err)
		}
		data, ok := bytes.CutPrefix(bytes.TrimRight(line, "\r\n"), []byte("data: "))
		if !ok {
			continue
		}
		if string(data) == "[DONE]" {
			break
		}
		var ev struct {
			Choices []struct {
				Delta struct {
					Content          string `json:"content"`
					ReasoningContent string `json:"reasoning_content"`
				} `json:"delta"`
				FinishReason *string `json:"finish_reason"`
			} `json:"choices"`
			Usage *struct {
				CompletionTokens int `json:"completion_tokens"`
			} `json:"usage"`
			Error *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(data, &ev); err != nil {
			return out, fmt.Errorf("event %s: %w", data, err)
		}
		if ev.Error != nil {
			return out, fmt.Errorf("error event: %s", ev.Error.Message)
		}
		for _, c := range ev.Choices {
			if (c.Delta.Content != "" || c.Delta.ReasoningContent != "") && out.ttft == 0 {
				out.ttft = time.Since(t0)
			}
			content.WriteString(c.Delta.Content)
			reasoning.WriteString(c.Delta.ReasoningContent)
			if c.FinishReason != nil {
				out.finish = *c.FinishReason
			}
		}
		if ev.Usage != nil {
			usage = true
			out.tokens = ev.Usage.CompletionTokens
		}
	}
	out.content, out.reasoning = content.String(), reasoning.String()
	switch {
	case out.finish != "length" && out.finish != "stop":
		return out, fmt.Errorf("finish_reason %q", out.finish)
	case !usage || out.tokens <= 0 || out.tokens > ls.tokens:
		return out, fmt.Errorf("usage: %d completion tokens (reported: %v) for max_tokens %d", out.tokens, usage, ls.tokens)
	case out.finish == "length" && out.tokens != ls.tokens:
		return out, fmt.Errorf("finish_reason length after %d of %d tokens", out.tokens, ls.tokens)
	}
	return out, nil
}

// round streams the prompts concurrently, one client each, and returns
// their outputs and the wall time of the round.
func (ls *loadServer) round(prompts []string) ([]streamOut, time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	outs := make([]streamOut, len(prompts))
	errs := make([]error, len(prompts))
	var wg sync.WaitGroup
	t0 := time.Now()
	for k, p := range prompts {
		wg.Go(func() { outs[k], errs[k] = ls.stream(ctx, p) })
	}
	wg.Wait()
	d := time.Since(t0)
	for k, err := range errs {
		if err != nil {
			return nil, d, fmt.Errorf("%q: %w", prompts[k], err)
		}
	}
	return outs, d, nil
}

// loadTest is the server under load (one slot per client) and the
// single-slot server that gives each request's output alone.
type loadTest struct {
	main, alone *loadServer
}

func newLoadTest(tb testing.TB, ref string, tokens int) *loadTest {
	return &loadTest{main: newLoadServer(tb, ref, len(loadPrompts), tokens), alone: newLoadServer(tb, ref, 1, tokens)}
}

// roundStats summarize a round.
type roundStats struct {
	tps  float64       // completion tokens/s of all streams together
	ttft time.Duration // median time to first token
	// decode passes of the round and the sequences they carried
	passes, seqs int64
}

// run streams the prompts concurrently on the main server, then each
// alone on the other, one after the other, and compares the outputs.
func (lt *loadTest) run(tb testing.TB, prompts []string) roundStats {
	tb.Helper()
	sched := lt.main.srv.models[0].current().sched
	before := sched.Stats()
	outs, d, err := lt.main.round(prompts)
	if err != nil {
		tb.Fatalf("%d clients: %v", len(prompts), err)
	}
	after := sched.Stats()
	rs := roundStats{passes: after.DecodeSteps - before.DecodeSteps, seqs: after.DecodeTokens - before.DecodeTokens}
	total := 0
	var ttfts []time.Duration
	for k, p := range prompts {
		alone, _, err := lt.alone.round([]string{p})
		if err != nil {
			tb.Fatalf("alone: %v", err)
		}
		got, want := outs[k], alone[0]
		if got.content != want.content || got.reasoning != want.reasoning || got.tokens != want.tokens || got.finish != want.finish {
			tb.Errorf("%q with %d clients: %d tokens (%s) %q %q; alone: %d tokens (%s) %q %q", p, len(prompts),
				got.tokens, got.finish, got.reasoning, got.content, want.tokens, want.finish, want.reasoning, want.content)
		}
		total += got.tokens
		ttfts = append(ttfts, got.ttft)
	}
	slices.Sort(ttfts)
	rs.tps = float64(total) / d.Seconds()
	rs.ttft = ttfts[len(ttfts)/2]
	return rs
}

// Eight concurrent streams each give what their request gives alone, and
// the scheduler ends with nothing running or waiting. (Timing is
// BenchmarkStreams8's business.)
func TestConcurrentStreams(t *testing.T) {
	lt := newLoadTest(t, "", 48)
	var prompts []string
	for i := range loadPrompts {
		prompts = append(prompts, loadPrompt(0, i))
	}
	lt.run(t, prompts)
	lt.run(t, prompts[3:4])
	st := lt.main.srv.models[0].current().sched.Stats()
	if st.Active != 0 || st.Queued != 0 || st.Requests != int64(len(prompts)+1) {
		t.Errorf("scheduler after the run: %+v", st)
	}
	if st.DecodeSteps == 0 || st.MaxDecodeBatch < 1 || st.MaxDecodeBatch > len(prompts) {
		t.Errorf("decode passes in the stats: %+v", st)
	}
}

func medianOf(x []float64) float64 {
	x = slices.Clone(x)
	slices.Sort(x)
	if len(x)%2 == 0 {
		return (x[len(x)/2-1] + x[len(x)/2]) / 2
	}
	return x[len(x)/2]
}

// BenchmarkStreams8 is the load test (see the top of this file). Every
// iteration streams one new prompt alone, then eight new ones at once
// (prompts the KV cache has not seen, so prefill is part of the time), and
// checks every output. It reports the medians over the iterations of the
// aggregate tokens/s of both rounds and of their ratio, of the time to
// first token, the mean number of sequences a decoding forward pass
// carried in the rounds of eight.
func BenchmarkStreams8(b *testing.B) {
	ref, tokens := loadConfig()
	lt := newLoadTest(b, ref, tokens)
	// Warm up: the first requests pay for page faults in the weights.
	lt.run(b, []string{loadPrompt(0, 0)})
	var one, eight, ratio, ttft1, ttft8 []float64
	var passes, seqs int64
	for i := 0; b.Loop(); i++ {
		r1 := lt.run(b, []string{loadPrompt(2*i+1, i%len(loadPrompts))})
		var prompts []string
		for k := range loadPrompts {
			prompts = append(prompts, loadPrompt(2*i+2, k))
		}
		r8 := lt.run(b, prompts)
		passes, seqs = passes+r8.passes, seqs+r8.seqs
		one, eight, ratio = append(one, r1.tps), append(eight, r8.tps), append(ratio, r8.tps/r1.tps)
		ttft1 = append(ttft1, float64(r1.ttft.Microseconds())/1000)
		ttft8 = append(ttft8, float64(r8.ttft.Microseconds())/1000)
	}
	b.ReportMetric(medianOf(one), "tok/s-1client")
	b.ReportMetric(medianOf(eight), "tok/s-8clients")
	b.ReportMetric(medianOf(ratio), "x-8v1")
	b.ReportMetric(medianOf(ttft1), "ms-ttft-1client")
	b.ReportMetric(medianOf(ttft8), "ms-ttft-8clients")
	if passes > 0 {
		b.ReportMetric(float64(seqs)/float64(passes), "seqs/decode-pass")
	}
}
