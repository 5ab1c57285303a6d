package engine

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// BenchOptions describe a llama-bench style speed test.
type BenchOptions struct {
	Prompt int // tokens in the prompt-processing test (0: skip it)
	Gen    int // tokens in the generation test (0: skip it)
	Reps   int // repetitions of each test (<= 0: 1)
	Seed   uint64
}

// BenchStats summarizes tokens/s over the repetitions of one test.
type BenchStats struct {
	Median  float64   `json:"median"`
	Min     float64   `json:"min"`
	Max     float64   `json:"max"`
	Samples []float64 `json:"samples,omitempty"`
}

// BenchResult is the outcome of Model.Bench.
type BenchResult struct {
	PromptTPS BenchStats `json:"pp_tps"`
	GenTPS    BenchStats `json:"tg_tps"`
	NPrompt   int        `json:"n_prompt"`
	NGen      int        `json:"n_gen"`
	Threads   int        `json:"threads"`
}

// Bench measures prompt processing and generation speed as llama-bench
// does: random tokens; the prompt test runs Prompt tokens through an empty
// cache in batches, the generation test decodes Gen tokens one at a time
// from an empty cache; each is repeated Reps times after one warm-up run,
// and tokens/s of each repetition is reported as median, min and max.
func (m *Model) Bench(o BenchOptions) (BenchResult, error) {
	res := BenchResult{NPrompt: o.Prompt, NGen: o.Gen, Threads: m.Plan.Threads}
	if o.Reps <= 0 {
		o.Reps = 1
	}
	vocab := m.Net.Info().Vocab
	rng := rand.New(rand.NewPCG(o.Seed, 0x6265_6e63))
	tokens := make([]int32, max(o.Prompt, o.Gen))
	for i := range tokens {
		tokens[i] = int32(rng.IntN(vocab))
	}
	s, err := m.NewSession(max(o.Prompt, o.Gen))
	if err != nil {
		return res, err
	}

	prompt := func(n int) (float64, error) {
		s.Reset()
		t0 := time.Now()
		if _, err := s.Prefill(tokens[:n]); err != nil {
			return 0, err
		}
		return float64(n) / time.Since(t0).Seconds(), nil
	}
	gen := func(n int) (float64, error) {
		s.Reset()
		t0 := time.Now()
		for i := 0; i < n; i++ {
			if _, err := s.Step(tokens[i]); err != nil {
				return 0, err
			}
		}
		return float64(n) / time.Since(t0).Seconds(), nil
	}
	run := func(n, warm int, f func(int) (float64, error)) (BenchStats, error) {
		var st BenchStats
		if n <= 0 {
			return st, nil
		}
		if _, err := f(min(n, warm)); err != nil {
			return st, err
		}
		for r := 0; r < o.Reps; r++ {
			tps, err := f(n)
			if err != nil {
				return st, fmt.Errorf("engine: bench: %w", err)
			}
			st.Samples = append(st.Samples, tps)
		}
		sorted := slices.Clone(st.Samples)
		slices.Sort(sorted)
		st.Min, st.Max = sorted[0], sorted[len(sorted)-1]
		if k := len(sorted); k%2 == 1 {
			st.Median = sorted[k/2]
		} else {
			st.Median = (sorted[k/2-1] + sorted[k/2]) / 2
		}
		return st, nil
	}
	// llama-bench warms up with a 32-token prompt and one generated token.
	if res.PromptTPS, err = run(o.Prompt, 32, prompt); err != nil {
		return res, err
	}
	if res.GenTPS, err = run(o.Gen, 1, gen); err != nil {
		return res, err
	}
	return res, nil
}
