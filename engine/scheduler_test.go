package engine

import (
	"context"
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hearthlm/hearth/kernels"
	"github.com/hearthlm/hearth/model"
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
	second, _ := runJob(t, s, next, 10)
	// Re-used: the first turn's prompt cells up to a multiple of four (the
	// reply was decoded one token at a time and is computed again).
	reused := s.Stats().CachedTokens - before
	if want := len(p) - len(p)%4; reused != int64(want) {
		t.Errorf("the second turn re-used %d cached tokens, want %d", reused, want)
	}
	// The same prompt again gives the same tokens from the cache, and the
	// second turn gives what it gives without a cache.
	b, _ := runJob(t, s, p, 10)
	if !slices.Equal(a, b) {
		t.Errorf("cached rerun: %v, first run %v", b, a)
	}
	fresh := newSched(t, m, SchedulerOptions{Slots: 1, Ctx: 256})
	if f, _ := runJob(t, fresh, next, 10); !slices.Equal(f, second) {
		t.Errorf("second turn with the first's cache: %v, without: %v", second, f)
	}
}

// A new conversation that shares only a few tokens with a slot's cache
// goes to an empty slot, so the first conversation's cache survives.
func TestSchedulerSlotChoice(t *testing.T) {
	m := loadDemo(t)
	s := newSched(t, m, SchedulerOptions{Slots: 2, Ctx: 256})
	a := m.Tokenizer.Encode("Once upon a time, there was a little dog named Max", true, false)
	b := m.Tokenizer.Encode("Once upon a day, Lily went to the park", true, false)
	if n := commonPrefix(a, b); n == 0 || 2*n >= len(a) || 2*n >= len(b) {
		t.Fatalf("the prompts share %d of %d and %d tokens: not a short shared prefix", n, len(a), len(b))
	}
	want, _ := runJob(t, s, a, 10)
	runJob(t, s, b, 10)
	before := s.Stats().CachedTokens
	got, _ := runJob(t, s, a, 10)
	// All but the last two or more tokens, a multiple of four.
	reuse := (len(a) - 2) / 4 * 4
	if reused := s.Stats().CachedTokens - before; reused != int64(reuse) {
		t.Errorf("the first prompt again re-used %d cached tokens, want %d: the second conversation took its slot", reused, reuse)
	}
	if !slices.Equal(got, want) {
		t.Errorf("cached rerun %v, first run %v", got, want)
	}
	// With both slots holding a conversation, a third one takes the least
	// recently used slot: b's.
	c := m.Tokenizer.Encode("The cat sat on the mat", true, false)
	runJob(t, s, c, 10)
	before = s.Stats().CachedTokens
	runJob(t, s, a, 10)
	if reused := s.Stats().CachedTokens - before; reused != int64(reuse) {
		t.Errorf("after a third conversation the first re-used %d cached tokens, want %d", reused, reuse)
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

// Every forward pass decodes all the running sequences together: eight
// requests admitted at once are prefilled in one pass, then each pass
// carries one token of every sequence that has not ended.
func TestSchedulerOneBatchPerStep(t *testing.T) {
	m := loadDemo(t)
	s, err := newScheduler(m, SchedulerOptions{Slots: 8, Ctx: 256})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var steps [][2]int
	s.stepHook = func(decode, prompt, _ int) {
		mu.Lock()
		steps = append(steps, [2]int{decode, prompt})
		mu.Unlock()
	}
	const n = 40
	var jobs []*Job
	promptTokens := 0
	for _, p := range schedPrompts {
		toks := m.Tokenizer.Encode(p, true, false)
		promptTokens += len(toks)
		j, err := s.Submit(context.Background(), Request{Prompt: toks, MaxTokens: n})
		if err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, j)
	}
	go s.loop()
	t.Cleanup(s.Close)
	// samples[i]: the tokens job i sampled, an end-of-generation one included.
	samples := make([]int, len(jobs))
	most := 0
	for i, j := range jobs {
		res, err := j.Result()
		if err != nil {
			t.Fatal(err)
		}
		samples[i] = len(res.Tokens)
		if res.Reason == StopEOG {
			samples[i]++
		}
		most = max(most, samples[i])
	}
	s.Close()
	mu.Lock()
	defer mu.Unlock()
	if len(steps) != most {
		t.Fatalf("%d forward passes, want %d (one prefill, then one per token of the longest job): %v", len(steps), most, steps)
	}
	if steps[0] != [2]int{0, promptTokens} {
		t.Errorf("first pass: %d decode and %d prompt tokens, want all %d prompt tokens", steps[0][0], steps[0][1], promptTokens)
	}
	for k := 1; k < len(steps); k++ {
		want := 0 // jobs that sampled a token after pass k
		for _, c := range samples {
			if c > k {
				want++
			}
		}
		if steps[k] != [2]int{want, 0} {
			t.Errorf("pass %d: %d decode and %d prompt tokens, want %d decode tokens", k+1, steps[k][0], steps[k][1], want)
		}
	}
	st := s.Stats()
	if st.MaxDecodeBatch != len(jobs) || st.DecodeSteps != int64(most-1) {
		t.Errorf("stats %+v: want a decode batch of %d and %d decode passes", st, len(jobs), most-1)
	}
}

// While a sequence decodes, a long prompt is prefilled at most
// PrefillChunk tokens per pass, and both outputs stay what they are alone.
func TestSchedulerPrefillChunk(t *testing.T) {
	m := loadDemo(t)
	short := m.Tokenizer.Encode("Once upon a time", true, false)
	long := m.Tokenizer.Encode("Once upon a time, there was a little girl named Lily. She liked to play outside with her friends in the big green park.", true, false)
	const chunk = 4
	s, err := newScheduler(m, SchedulerOptions{Slots: 2, Ctx: 256, BatchTokens: len(short) + 1, PrefillChunk: chunk})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var steps [][2]int
	s.stepHook = func(decode, prompt, _ int) {
		mu.Lock()
		steps = append(steps, [2]int{decode, prompt})
		mu.Unlock()
	}
	var jobs []*Job
	for _, p := range [][]int32{short, long} {
		j, err := s.Submit(context.Background(), Request{Prompt: p, MaxTokens: 30})
		if err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, j)
	}
	go s.loop()
	t.Cleanup(s.Close)
	var got [][]int32
	for _, j := range jobs {
		res, err := j.Result()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, res.Tokens)
	}
	s.Close()
	sess, err := m.NewSession(256)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range [][]int32{short, long} {
		sess.Reset()
		res, err := sess.Generate(context.Background(), p, GenerateOptions{MaxTokens: 30}, func(string) {})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got[i], res.Tokens) {
			t.Errorf("prompt %d: scheduled %v, alone %v", i, got[i], res.Tokens)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	chunked, prompt := 0, 0
	for k, st := range steps {
		prompt += st[1]
		if st[0] > 0 && st[1] > 2*chunk-1 {
			t.Errorf("pass %d: %d prompt tokens next to %d decoding, want at most %d", k+1, st[1], st[0], 2*chunk-1)
		}
		if st[0] > 0 && st[1] == chunk {
			chunked++
		}
	}
	if prompt != len(short)+len(long) {
		t.Errorf("%d prompt tokens computed, want %d", prompt, len(short)+len(long))
	}
	if want := (len(long) - 1) / chunk; chunked < want {
		t.Errorf("%d passes carried a full chunk next to a decode, want %d: %v", chunked, want, steps)
	}
}

// Prompts are prefilled in the same pieces under any load — PrefillChunk
// tokens, the last piece up to one more, one piece per prompt and pass, one
// piece only next to decoding sequences — and every output is the one the
// request gets alone; prompts under kernels.TiledMinRows tokens also get
// the output of a Session, which runs the whole prompt in one pass, and
// with the default pieces longer ones do too.
func TestSchedulerPieces(t *testing.T) {
	m := loadDemo(t)
	var prompts [][]int32
	for _, p := range []string{
		"Once upon a time, there was a little girl named Lily. She liked to play outside with her friends in the big green park. One day she found a shiny red ball under a tall tree, and she ran to show it to her mom, who smiled and gave her a hug.",
		"Tom and his dog Max went to the beach. They ran on the sand and jumped in the waves. Max found a big stick and Tom threw it into the water again and again until the sun went down.",
		"The cat sat",
		"A little bird sang a song in the tree next to the house, and the",
	} {
		prompts = append(prompts, m.Tokenizer.Encode(p, true, false))
	}
	if n := len(prompts[0]); n < kernels.TiledMinRows {
		t.Fatalf("a prompt of %d tokens: want at least %d", n, kernels.TiledMinRows)
	}
	const piece = 8
	run := func(slots int, ps [][]int32, piece int) ([][]int32, [][3]int) {
		s, err := newScheduler(m, SchedulerOptions{Slots: slots, Ctx: 256, PrefillChunk: piece})
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var steps [][3]int
		s.stepHook = func(decode, prompt, seqs int) {
			mu.Lock()
			steps = append(steps, [3]int{decode, prompt, seqs})
			mu.Unlock()
		}
		var jobs []*Job
		for _, p := range ps {
			j, err := s.Submit(context.Background(), Request{Prompt: p, MaxTokens: 24})
			if err != nil {
				t.Fatal(err)
			}
			jobs = append(jobs, j)
		}
		go s.loop()
		defer s.Close()
		var out [][]int32
		for _, j := range jobs {
			res, err := j.Result()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, res.Tokens)
		}
		s.Close()
		mu.Lock()
		defer mu.Unlock()
		return out, steps
	}
	together, steps := run(4, prompts, piece)
	prompt := 0
	for k, st := range steps {
		prompt += st[1]
		if st[0] > 0 && st[1] > 2*piece-1 {
			t.Errorf("pass %d: %d prompt tokens next to %d decoding, want one piece (at most %d)", k+1, st[1], st[0], 2*piece-1)
		}
	}
	total := 0
	for _, p := range prompts {
		total += len(p)
	}
	if prompt != total {
		t.Errorf("%d prompt tokens computed, want %d", prompt, total)
	}
	if steps[0][1] <= 2*piece-1 || steps[0][2] < 2 {
		t.Errorf("first pass %v: want pieces of several prompts", steps[0])
	}
	sess, err := m.NewSession(256)
	if err != nil {
		t.Fatal(err)
	}
	// With the default pieces (kernels.TiledMinRows), prompts of up to two
	// pieces are computed as a Session computes them, the long ones by the
	// tiled attention path too.
	def, _ := run(4, prompts, 0)
	for i, p := range prompts {
		alone, _ := run(1, [][]int32{p}, piece)
		if !slices.Equal(together[i], alone[0]) {
			t.Errorf("prompt %d: with others %v, alone %v", i, together[i], alone[0])
		}
		sess.Reset()
		res, err := sess.Generate(context.Background(), p, GenerateOptions{MaxTokens: 24}, func(string) {})
		if err != nil {
			t.Fatal(err)
		}
		if len(p) < kernels.TiledMinRows && !slices.Equal(together[i], res.Tokens) {
			t.Errorf("prompt %d: scheduled in pieces of %d %v, session %v", i, piece, together[i], res.Tokens)
		}
		if !slices.Equal(def[i], res.Tokens) {
			t.Errorf("prompt %d: scheduled in default pieces %v, session %v", i, def[i], res.Tokens)
		}
	}
}

// benchModel is the model the throughput benchmarks run: HEARTH_LOAD_MODEL
// (a GGUF path or reference), else the demo; and the tokens each request
// generates: HEARTH_LOAD_TOKENS, else 40 on the demo and 32 on a model.
func benchModel(b *testing.B) (*Model, int) {
	ref, n := os.Getenv("HEARTH_LOAD_MODEL"), 40
	if ref != "" {
		n = 32
	}
	if v, err := strconv.Atoi(os.Getenv("HEARTH_LOAD_TOKENS")); err == nil && v > 0 {
		n = v
	}
	m, err := Load(ref, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close() })
	return m, n
}

func median(x []float64) float64 {
	x = slices.Clone(x)
	slices.Sort(x)
	if len(x) == 0 {
		return 0
	}
	if len(x)%2 == 0 {
		return (x[len(x)/2-1] + x[len(x)/2]) / 2
	}
	return x[len(x)/2]
}

// BenchmarkSchedulerClients measures aggregate generation tokens/s with
// one client and with eight concurrent ones, both in every iteration, and
// reports the medians and the median ratio. The prompts are in the slots'
// caches from the first runs, so this is the scheduler's decoding alone
// (server.BenchmarkStreams8 has new prompts, HTTP and prefill). Every
// output is checked against the same request run alone (greedy). Set
// HEARTH_LOAD_MODEL to a GGUF for a real-shaped model, e.g.
//
//	HEARTH_LOAD_MODEL=/tmp/bm/qwen06b-q8_0.gguf go test ./engine -run '^$' -bench SchedulerClients -benchtime 3x
func BenchmarkSchedulerClients(b *testing.B) {
	m, n := benchModel(b)
	s := newSched(b, m, SchedulerOptions{Slots: 8, Ctx: max(256, n+64)})
	prompts := make([][]int32, len(schedPrompts))
	alone := make([][]int32, len(prompts))
	for i, p := range schedPrompts {
		prompts[i] = m.Tokenizer.Encode(p, true, false)
		alone[i], _ = runJob(b, s, prompts[i], n)
	}
	round := func(idx []int) float64 {
		got := make([][]int32, len(idx))
		var wg sync.WaitGroup
		t0 := time.Now()
		for k, i := range idx {
			wg.Go(func() { got[k], _ = runJob(b, s, prompts[i], n) })
		}
		wg.Wait()
		d := time.Since(t0)
		total := 0
		for k, i := range idx {
			if !slices.Equal(got[k], alone[i]) {
				b.Fatalf("prompt %q with %d clients: %v, alone %v", schedPrompts[i], len(idx), got[k], alone[i])
			}
			total += len(got[k])
		}
		return float64(total) / d.Seconds()
	}
	all := []int{0, 1, 2, 3, 4, 5, 6, 7}
	var one, eight, ratio []float64
	var passes, seqs int64
	for i := 0; b.Loop(); i++ {
		r1 := round(all[i%8 : i%8+1])
		before := s.Stats()
		r8 := round(all)
		st := s.Stats()
		passes, seqs = passes+st.DecodeSteps-before.DecodeSteps, seqs+st.DecodeTokens-before.DecodeTokens
		one, eight, ratio = append(one, r1), append(eight, r8), append(ratio, r8/r1)
	}
	b.ReportMetric(median(one), "tok/s-1client")
	b.ReportMetric(median(eight), "tok/s-8clients")
	b.ReportMetric(median(ratio), "x-8v1")
	if passes > 0 {
		b.ReportMetric(float64(seqs)/float64(passes), "seqs/decode-pass") // in the rounds of eight
	}
}

// BenchmarkForwardBatch times a forward pass of 1 and of 8 decoding
// sequences (one token each, 8 sequences at different positions) on
// HEARTH_LOAD_MODEL or the demo: the 8/1 ratio of its tok/s bounds what
// batching can give the scheduler.
func BenchmarkForwardBatch(b *testing.B) {
	m, _ := benchModel(b)
	c, err := m.Net.NewCache(256, 8)
	if err != nil {
		b.Fatal(err)
	}
	var batch model.Batch
	for _, seqs := range []int{1, 8} {
		b.Run(strconv.Itoa(seqs), func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				batch.Reset()
				for s := range seqs {
					batch.Add(int32(100+s), 16+s+i%200, s, true)
				}
				if _, err := m.Net.Forward(c, &batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(seqs*b.N)/b.Elapsed().Seconds(), "tok/s")
		})
	}
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
