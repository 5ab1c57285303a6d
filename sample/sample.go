// Package sample picks the next token from a model's logits: greedy,
// temperature, top-k, top-p, min-p and repetition penalties, in the order
// llama.cpp's default sampler chain applies them (penalties, top-k, top-p,
// min-p, temperature, then a seeded random draw).
package sample

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/hearthlm/hearth/kernels"
)

// Params configures a Sampler. The zero value is greedy decoding.
type Params struct {
	Temperature      float32 // <= 0: greedy (argmax)
	TopK             int     // <= 0: off
	TopP             float32 // >= 1 or <= 0: off
	MinP             float32 // <= 0: off
	RepeatPenalty    float32 // 1 or 0: off
	RepeatLastN      int     // how many recent tokens the penalties look at
	FrequencyPenalty float32
	PresencePenalty  float32
	Seed             uint64
}

// Defaults are llama.cpp's default sampling settings.
func Defaults() Params {
	return Params{Temperature: 0.8, TopK: 40, TopP: 0.95, MinP: 0.05, RepeatPenalty: 1, RepeatLastN: 64}
}

type cand struct {
	id    int32
	logit float32
	p     float32
}

// Sampler keeps the random state and scratch memory of one generation.
type Sampler struct {
	p     Params
	rng   *rand.Rand
	cands []cand
	seen  map[int32]int
}

// New returns a sampler. The same Params (including Seed) and the same
// logits give the same tokens.
func New(p Params) *Sampler {
	return &Sampler{p: p, rng: rand.New(rand.NewPCG(p.Seed, p.Seed^0x9e3779b97f4a7c15)), seen: map[int32]int{}}
}

// Greedy returns the index of the largest logit (the lowest index on ties).
func Greedy(logits []float32) int32 {
	// Nothing is larger than a NaN first logit; otherwise the largest of
	// the others that are not NaNs (vectorized), then its first index
	// (+0 and -0 compare equal, so the first zero of either sign, as a
	// scan keeping the first of equal maxima finds).
	if len(logits) == 0 || logits[0] != logits[0] {
		return 0
	}
	m := kernels.MaxNonNaN(logits[1:], logits[0])
	for i, v := range logits {
		if v == m {
			return int32(i)
		}
	}
	return 0
}

// Sample picks a token. history holds the tokens so far (prompt and
// generated), used by the repetition penalties. logits is not modified.
func (s *Sampler) Sample(logits []float32, history []int32) int32 {
	p := s.p
	penalize := (p.RepeatPenalty != 0 && p.RepeatPenalty != 1) || p.FrequencyPenalty != 0 || p.PresencePenalty != 0
	if p.Temperature <= 0 && !penalize {
		return Greedy(logits)
	}
	c := s.cands[:0]
	for i, v := range logits {
		c = append(c, cand{id: int32(i), logit: v})
	}
	s.cands = c
	if penalize && p.RepeatLastN != 0 {
		clear(s.seen)
		h := history
		if p.RepeatLastN > 0 && len(h) > p.RepeatLastN {
			h = h[len(h)-p.RepeatLastN:]
		}
		for _, t := range h {
			s.seen[t]++
		}
		for t, n := range s.seen {
			if t < 0 || int(t) >= len(c) {
				continue
			}
			l := &c[t].logit
			if p.RepeatPenalty != 0 && p.RepeatPenalty != 1 {
				if *l <= 0 {
					*l *= p.RepeatPenalty
				} else {
					*l /= p.RepeatPenalty
				}
			}
			*l -= float32(n)*p.FrequencyPenalty + p.PresencePenalty
		}
	}
	if p.Temperature <= 0 {
		best := 0
		for i := range c {
			if c[i].logit > c[best].logit {
				best = i
			}
		}
		return c[best].id
	}
	if p.TopK > 0 && p.TopK < len(c) {
		c = topK(c, p.TopK)
	} else {
		slices.SortFunc(c, byLogit)
	}
	if p.TopP > 0 && p.TopP < 1 {
		softmax(c)
		var cum float32
		keep := len(c)
		for i := range c {
			cum += c[i].p
			if cum >= p.TopP {
				keep = i + 1
				break
			}
		}
		c = c[:keep]
	}
	if p.MinP > 0 {
		limit := c[0].logit + float32(math.Log(float64(p.MinP)))
		keep := 1
		for keep < len(c) && c[keep].logit >= limit {
			keep++
		}
		c = c[:keep]
	}
	for i := range c {
		c[i].logit /= p.Temperature
	}
	softmax(c)
	r := s.rng.Float32()
	var cum float32
	for i := range c {
		cum += c[i].p
		if r < cum {
			return c[i].id
		}
	}
	return c[len(c)-1].id
}

// byLogit orders candidates by logit, descending, and by id on ties: the
// order a stable sort by logit gives candidates listed in id order.
func byLogit(a, b cand) int {
	switch {
	case a.logit > b.logit:
		return -1
	case a.logit < b.logit:
		return 1
	}
	return int(a.id) - int(b.id)
}

// topK moves the k first candidates in byLogit order to the front of c,
// sorted, and returns them: a bounded heap over the vocabulary (n log k)
// instead of sorting all of it, which for a 150k-token vocabulary costs
// tens of milliseconds per token.
func topK(c []cand, k int) []cand {
	h := c[:0:k] // a min-heap (by byLogit, the "worst" candidate at the root) in c's own front
	h = h[:0]
	worse := func(i, j int) bool { return byLogit(h[i], h[j]) > 0 }
	down := func(i int) {
		for {
			l := 2*i + 1
			if l >= len(h) {
				return
			}
			m := l
			if r := l + 1; r < len(h) && worse(r, l) {
				m = r
			}
			if !worse(m, i) {
				return
			}
			h[i], h[m] = h[m], h[i]
			i = m
		}
	}
	for j := range c {
		x := c[j]
		if len(h) < k {
			// c[j] sits at or after len(h): appending copies it down.
			h = append(h, x)
			for i := len(h) - 1; i > 0; {
				parent := (i - 1) / 2
				if !worse(i, parent) {
					break
				}
				h[i], h[parent] = h[parent], h[i]
				i = parent
			}
			continue
		}
		if byLogit(x, h[0]) < 0 {
			h[0] = x
			down(0)
		}
	}
	slices.SortFunc(h, byLogit)
	return h
}

// softmax fills p from logit; c must be sorted by logit, descending.
func softmax(c []cand) {
	mx := c[0].logit
	var sum float64
	for i := range c {
		e := math.Exp(float64(c[i].logit - mx))
		c[i].p = float32(e)
		sum += e
	}
	for i := range c {
		c[i].p = float32(float64(c[i].p) / sum)
	}
}

// LogSoftmax returns log-probabilities of logits (in float64 for accuracy).
func LogSoftmax(logits []float32) []float64 {
	mx := float64(logits[0])
	for _, v := range logits {
		mx = math.Max(mx, float64(v))
	}
	var sum float64
	for _, v := range logits {
		sum += math.Exp(float64(v) - mx)
	}
	lse := mx + math.Log(sum)
	out := make([]float64, len(logits))
	for i, v := range logits {
		out[i] = float64(v) - lse
	}
	return out
}
