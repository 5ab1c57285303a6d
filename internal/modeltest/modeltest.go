// Package modeltest holds what tests of several packages do with a loaded
// model.Model when they compare it with llama.cpp's goldens: greedy
// decoding and the golden check itself.
package modeltest

import (
	"math"
	"slices"
	"testing"

	"github.com/hearthlm/hearth/model"
	"github.com/hearthlm/hearth/sample"
)

// Greedy decodes n tokens after prompt by argmax (the lowest id on ties),
// as llama.cpp's greedy oracle does: the prompt as one batch with logits
// for its last row, then one token per step. The cache holds at least ctx
// positions (some architectures choose their rope factors by it).
func Greedy(m model.Model, prompt []int32, n, ctx int) ([]int32, error) {
	c, err := m.NewCache(max(len(prompt)+n, ctx), 1)
	if err != nil {
		return nil, err
	}
	var b model.Batch
	for i, tok := range prompt {
		b.Add(tok, i, 0, i == len(prompt)-1)
	}
	var out []int32
	pos := len(prompt)
	vocab := m.Info().Vocab
	for len(out) < n {
		logits, err := m.Forward(c, &b)
		if err != nil {
			return nil, err
		}
		best := 0
		for i, v := range logits[:vocab] {
			if v > logits[best] {
				best = i
			}
		}
		out = append(out, int32(best))
		b.Reset()
		b.Add(int32(best), pos, 0, true)
		pos++
	}
	return out, nil
}

// Golden is the part of an oracle golden (convert/testdata/golden,
// model/testdata/kvq8) that llama.cpp produced: greedy continuations and
// the top log-probabilities at every position of a sequence.
type Golden struct {
	Greedy []struct {
		Prompt []int32 `json:"prompt_tokens"`
		Tokens []int32 `json:"tokens"`
	} `json:"greedy"`
	Probs []struct {
		Tokens    []int32 `json:"tokens"`
		Positions []struct {
			Pos int          `json:"pos"`
			Top [][3]float64 `json:"top"` // id, p, ln p
		} `json:"positions"`
	} `json:"probs"`
}

// Check runs m on the golden's inputs with caches of at least ctx
// positions: each greedy continuation must equal llama.cpp's, and every
// listed log-probability must be within tol of llama.cpp's (the sequence
// run as one batch, logits at every row). It logs the largest difference.
func (g *Golden) Check(t testing.TB, m model.Model, ctx int, tol float64) {
	t.Helper()
	for _, c := range g.Greedy {
		got, err := Greedy(m, c.Prompt, len(c.Tokens), ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, c.Tokens) {
			t.Errorf("greedy after %v:\n got %v\nwant %v", c.Prompt, got, c.Tokens)
		}
	}
	vocab := m.Info().Vocab
	worst := 0.0
	for _, seq := range g.Probs {
		cache, err := m.NewCache(max(len(seq.Tokens), ctx), 1)
		if err != nil {
			t.Fatal(err)
		}
		var b model.Batch
		for i, tok := range seq.Tokens {
			b.Add(tok, i, 0, true)
		}
		logits, err := m.Forward(cache, &b)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range seq.Positions {
			lp := sample.LogSoftmax(logits[p.Pos*vocab : (p.Pos+1)*vocab])
			for _, top := range p.Top {
				worst = math.Max(worst, math.Abs(lp[int(top[0])]-top[2]))
			}
		}
	}
	if worst > tol {
		t.Errorf("log-probabilities differ from llama.cpp's by up to %.2g (tolerance %g)", worst, tol)
	}
	t.Logf("max |Δ log p| = %.2g", worst)
}
