package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hearthlm/hearth/plan"
	"github.com/hearthlm/hearth/sample"
)

var schedPrompts = []string{
	"Once upon a time", "Lily went to the park", "The cat sat", "Tom had a big red ball",
	"One day, a little bird", "The sun was hot and", "Sam and his mom", "There was a tree",
}

func loadDemo(t testing.TB) *Model {
	t.Helper()
	m, err := Load("", Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func newSched(t testing.TB, m *Model, o SchedulerOptions) *Scheduler {
	t.Helper()
	s, err := NewScheduler(m, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func runJob(t testing.TB, s *Scheduler, prompt []int32, n int) ([]int32, string) {
	t.Helper()
	j, err := s.Submit(context.Background(), Request{Prompt: prompt, MaxTokens: n})
	if err != nil {
		t.Error(err)
		return nil, ""
	}
	var text string
	for {
		c, ok := j.Next()
		if !ok {
			break
		}
		text += c.Text
	}
	res, err := j.Result()
	if err != nil {
		t.Error(err)
	}
	return res.Tokens, text
}

// Concurrent greedy requests give exactly the tokens each gives alone, and
// the same tokens as a single-sequence Session.
func TestSchedulerConcurrentMatchesAlone(t *testing.T) {
	m := loadDemo(t)
	const n = 40
	prompts := make([][]int32, len(schedPrompts))
	for i, p := range schedPrompts {
		prompts[i] = m.Tokenizer.Encode(p, true, false)
	}
	sess, err := m.NewSession(256)
	if err != nil {
		t.Fatal(err)
	}
	alone := make([][]int32, len(prompts))
	aloneText := make([]string, len(prompts))
	for i, p := range prompts {
		var sb []byte
		res, err := sess.Generate(context.Background(), p, GenerateOptions{MaxTokens: n}, func(s string) { sb = append(sb, s...) })
		if err != nil {
			t.Fatal(err)
		}
		alone[i], aloneText[i] = res.Tokens, string(sb)
		sess.Reset()
	}
	s := newSched(t, m, SchedulerOptions{Slots: 8, Ctx: 256})
	var wg sync.WaitGroup
	got := make([][]int32, len(prompts))
	gotText := make([]string, len(prompts))
	for i := range prompts {
		wg.Go(func() { got[i], gotText[i] = runJob(t, s, prompts[i], n) })
	}
	wg.Wait()
	for i := range prompts {
		if !slices.Equal(got[i], alone[i]) || gotText[i] != aloneText[i] {
			t.Errorf("prompt %q:\nconcurrent %v %q\nalone      %v %q", schedPrompts[i], got[i], gotText[i], alone[i], aloneText[i])
		}
	}
	st := s.Stats()
	if st.Active != 0 || st.Queued != 0 || st.Requests != int64(len(prompts)) {
		t.Errorf("stats after the run: %+v", st)
	}
	if st.Steps >= int64(len(prompts)*n) {
		t.Errorf("%d forward passes for %d requests of %d tokens: nothing was batched", st.Steps, len(prompts), n)
	}
}

// More requests than slots wait in the queue and still match; long prompts
// are prefilled in chunks mixed with other sequences' decode steps.
func TestSchedulerQueueAndChunkedPrefill(t *testing.T) {
	m := loadDemo(t)
	s := newSched(t, m, SchedulerOptions{Slots: 2, Ctx: 256, BatchTokens: 8})
	long := m.Tokenizer.Encode("Once upon a time, there was a little girl named Lily. She liked to play outside with her friends in the big green park.", true, false)
	prompts := [][]int32{long}
	for _, p := range schedPrompts[:4] {
		prompts = append(prompts, m.Tokenizer.Encode(p, true, false))
	}
	ref := newSched(t, m, SchedulerOptions{Slots: 1, Ctx: 256})
	want := make([][]int32, len(prompts))
	for i, p := range prompts {
		want[i], _ = runJob(t, ref, p, 20)
	}
	ref.Close()
	var wg sync.WaitGroup
	got := make([][]int32, len(prompts))
	for i := range prompts {
		wg.Go(func() { got[i], _ = runJob(t, s, prompts[i], 20) })
	}
	wg.Wait()
	for i := range prompts {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("prompt %d: got %v, want %v", i, got[i], want[i])
		}
	}
}

func TestSchedulerPrefixReuse(t *testing.T) {
	m := loadDemo(t)
	s := newSched(t, m, SchedulerOptions{Slots: 2, Ctx: 256})
	p := m.Tokenizer.Encode("Once upon a time, there was a little dog", true, false)
	a, _ := runJob(t, s, p, 10)
	before := s.Stats().CachedTokens
	// The next turn: the prompt, the reply, more text.
	next := append(append(slices.Clone(p), a...), m.Tokenizer.Encode(" and then", false, false)...)
	runJob(t, s, next, 10)
	reused := s.Stats().CachedTokens - before
	if reused < int64(len(p)) {
		t.Errorf("the second turn re-used %d cached tokens, want at least %d", reused, len(p))
	}
	// The same prompt again gives the same tokens from the cache.
	b, _ := runJob(t, s, p, 10)
	if !slices.Equal(a, b) {
		t.Errorf("cached rerun: %v, first run %v", b, a)
	}
}

func TestSchedulerErrors(t *testing.T) {
	m := loadDemo(t)
	s := newSched(t, m, SchedulerOptions{Slots: 1, Ctx: 32, Queue: 1})
	long := make([]int32, 40)
	for i := range long {
		long[i] = 100
	}
	_, err := s.Submit(context.Background(), Request{Prompt: long})
	var ce *ContextError
	if !errors.As(err, &ce) || !errors.Is(err, ErrContextFull) || ce.Prompt != 40 || ce.Ctx != 32 {
		t.Errorf("long prompt: %v", err)
	}
	_, err = s.Submit(context.Background(), Request{Prompt: long[:20], MaxTokens: 20})
	if !errors.As(err, &ce) || ce.MaxTokens != 20 {
		t.Errorf("prompt + max tokens over the context: %v", err)
	} else if want := "this model's context holds 32 tokens, but 40 were requested (20 in the prompt, 20 to generate)"; err.Error() != want {
		t.Errorf("error text %q, want %q", err, want)
	}
	if _, err := s.Submit(context.Background(), Request{}); err == nil {
		t.Error("empty prompt accepted")
	}
	if _, err := s.Submit(context.Background(), Request{Prompt: []int32{1, 99999}}); err == nil {
		t.Error("token outside the vocabulary accepted")
	}

	// Queue bound: one running, one waiting, the third refused.
	ctx, cancel := context.WithCancel(context.Background())
	p := m.Tokenizer.Encode("Once upon a time", true, false)
	j1, err := s.Submit(ctx, Request{Prompt: p})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.Stats().Active != 1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	j2, err := s.Submit(ctx, Request{Prompt: p})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Submit(ctx, Request{Prompt: p}); !errors.Is(err, ErrQueueFull) {
		t.Errorf("third request: %v, want ErrQueueFull", err)
	}
	cancel()
	for _, j := range []*Job{j1, j2} {
		res, err := j.Result()
		if err != nil || (res.Reason != StopCanceled && res.Reason != StopEOG && res.Reason != StopContext) {
			t.Errorf("cancelled job: %v %v", res.Reason, err)
		}
	}
	st := s.Stats()
	if st.Active != 0 || st.Queued != 0 {
		t.Errorf("after cancel: %+v", st)
	}
}

func TestSchedulerStopLogprobs(t *testing.T) {
	m := loadDemo(t)
	s := newSched(t, m, SchedulerOptions{Slots: 2, Ctx: 128})
	p := m.Tokenizer.Encode("Once upon a time", true, false)
	_, full := runJob(t, s, p, 30)
	if len(full) < 10 {
		t.Fatalf("short output %q", full)
	}
	stop := full[5:8]
	j, err := s.Submit(context.Background(), Request{Prompt: p, MaxTokens: 30, Stop: []string{stop}, TopLogprobs: 3,
		Sampling: sample.Params{Temperature: 0.7, Seed: 1}})
	if err != nil {
		t.Fatal(err)
	}
	// With a temperature the text may differ; only check the invariants.
	var text string
	var toks []TokenInfo
	for {
		c, ok := j.Next()
		if !ok {
			break
		}
		text += c.Text
		toks = append(toks, c.Tokens...)
	}
	res, _ := j.Result()
	if len(toks) != len(res.Tokens) {
		t.Errorf("%d token infos for %d tokens", len(toks), len(res.Tokens))
	}
	for _, ti := range toks {
		if len(ti.Top) != 3 || ti.Logprob > 0 || ti.Top[0].Logprob < ti.Top[1].Logprob {
			t.Errorf("token info %+v", ti)
		}
	}
	if res.Reason == StopString && strings.Contains(text, stop) {
		t.Errorf("text %q contains the stop string %q", text, stop)
	}
}

// TestSchedulerThroughput reports aggregate generation tokens/s with one
// client and with eight concurrent ones (go test -run Throughput -v). The
// demo model is small enough to be compute-bound; set HEARTH_SCHED_MODEL
// to a larger GGUF (and HEARTH_SCHED_TOKENS) to see what batching does
// when the weights must be read from memory for every forward pass.
func TestSchedulerThroughput(t *testing.T) {
	if testing.Short() {
		t.Skip("timing")
	}
	m := loadDemo(t)
	n := 100
	if ref := os.Getenv("HEARTH_SCHED_MODEL"); ref != "" {
		var err error
		if m, err = Load(ref, Options{}); err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		n = 16
		if v, err := strconv.Atoi(os.Getenv("HEARTH_SCHED_TOKENS")); err == nil && v > 0 {
			n = v
		}
	}
	s := newSched(t, m, SchedulerOptions{Slots: 8, Ctx: 256})
	run := func(clients int) float64 {
		var wg sync.WaitGroup
		t0 := time.Now()
		var mu sync.Mutex
		total := 0
		for c := range clients {
			wg.Go(func() {
				p := m.Tokenizer.Encode(schedPrompts[c%len(schedPrompts)], true, false)
				toks, _ := runJob(t, s, p, n)
				mu.Lock()
				total += len(toks)
				mu.Unlock()
			})
		}
		wg.Wait()
		return float64(total) / time.Since(t0).Seconds()
	}
	run(1) // warm up
	one := run(1)
	eight := run(8)
	t.Logf("aggregate generation: 1 client %.0f tok/s, 8 clients %.0f tok/s (%.1fx)", one, eight, eight/one)
	fmt.Printf("scheduler throughput: 1 client %.0f tok/s, 8 clients %.0f tok/s (%.1fx)\n", one, eight, eight/one)
}

// The default slot context comes from the planner: the trained context
// when every slot's cache fits, smaller powers of two when they do not.
func TestSlotContext(t *testing.T) {
	m := loadDemo(t)
	trained := m.Net.Info().ContextLength
	if got := SlotContext(m, 8); got != trained {
		t.Errorf("demo, 8 slots on this machine: %d, want the trained %d", got, trained)
	}
	// A machine where 4 slots of the trained context do not fit but 4 of
	// 256 do.
	mm := *m
	need := func(ctx int) uint64 {
		e := plan.EstimateMemory(m.Facts, ctx, plan.KVF16)
		return uint64(float64(e.Total)/0.9) + 1
	}
	mm.Machine = plan.Machine{OS: "linux", LogicalCPUs: 2, TotalRAM: need(4 * 256), AvailableRAM: need(4 * 256)}
	if need(4*256) >= need(4*trained) {
		t.Skip("the demo's KV cache is too small to matter")
	}
	if got := SlotContext(&mm, 4); got != 256 {
		t.Errorf("a small machine, 4 slots: %d, want 256", got)
	}
	s := newSched(t, &mm, SchedulerOptions{Slots: 4})
	if s.Context() != 256 {
		t.Errorf("scheduler default context %d, want 256", s.Context())
	}
	// Without a plan: the old default.
	mm.Plan.Context = 0
	if got := SlotContext(&mm, 4); got != min(trained, 4096) {
		t.Errorf("no plan: %d", got)
	}
}
