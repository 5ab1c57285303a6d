package sample

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

func TestGreedyPicksFirstMax(t *testing.T) {
	if got := Greedy([]float32{1, 3, 3, 2}); got != 1 {
		t.Fatalf("Greedy = %d, want 1", got)
	}
	s := New(Params{})
	if got := s.Sample([]float32{0.5, -1, 4, 4}, nil); got != 2 {
		t.Fatalf("Sample at temperature 0 = %d, want 2", got)
	}
}

// Greedy (a vectorized maximum, then its first index) gives the plain
// scan's answer: the first index of the largest logit (NaNs never win, a
// NaN first entry does), for every length and with many ties.
func TestGreedyAsScan(t *testing.T) {
	scan := func(l []float32) int32 {
		best := 0
		for i, v := range l {
			if v > l[best] {
				best = i
			}
		}
		return int32(best)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 3000; iter++ {
		l := make([]float32, 1+rng.IntN(200))
		for i := range l {
			switch rng.IntN(8) {
			case 0:
				l[i] = float32(math.NaN())
			case 1:
				l[i] = float32(math.Copysign(0, -1))
			default:
				l[i] = float32(rng.IntN(5)) // ties
			}
		}
		if got, want := Greedy(l), scan(l); got != want {
			t.Fatalf("Greedy(%v) = %d, want %d", l, got, want)
		}
	}
	if Greedy(nil) != 0 {
		t.Fatal("Greedy(nil) != 0")
	}
}

func TestSeedReproducible(t *testing.T) {
	logits := make([]float32, 100)
	for i := range logits {
		logits[i] = float32(math.Sin(float64(i)))
	}
	p := Params{Temperature: 1, TopK: 50, TopP: 0.9, MinP: 0.01, Seed: 42}
	run := func() []int32 {
		s := New(p)
		var out []int32
		for i := 0; i < 50; i++ {
			out = append(out, s.Sample(logits, out))
		}
		return out
	}
	a, b := run(), run()
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed gave different tokens at %d: %v vs %v", i, a, b)
		}
	}
	p.Seed = 43
	s := New(p)
	diff := false
	for i := 0; i < 50; i++ {
		if s.Sample(logits, nil) != a[i] {
			diff = true
		}
	}
	if !diff {
		t.Fatal("a different seed gave the same 50 tokens")
	}
}

func TestTopKOne(t *testing.T) {
	s := New(Params{Temperature: 5, TopK: 1, Seed: 1})
	for i := 0; i < 20; i++ {
		if got := s.Sample([]float32{0, 1, 0.9, -2}, nil); got != 1 {
			t.Fatalf("top-k 1 sampled %d", got)
		}
	}
}

func TestMinPCutsTail(t *testing.T) {
	// p(0) ≈ 0.73, p(1) ≈ 0.27, p(2) tiny: min-p 0.1 keeps only 0 and 1.
	s := New(Params{Temperature: 1, MinP: 0.1, Seed: 7})
	for i := 0; i < 200; i++ {
		if got := s.Sample([]float32{1, 0, -10}, nil); got == 2 {
			t.Fatal("min-p let through a token below the cut")
		}
	}
}

func TestTopPCutsTail(t *testing.T) {
	s := New(Params{Temperature: 1, TopP: 0.5, Seed: 3})
	for i := 0; i < 200; i++ {
		if got := s.Sample([]float32{2, 0, 0}, nil); got != 0 {
			t.Fatalf("top-p 0.5 sampled %d; token 0 alone holds 0.79", got)
		}
	}
}

func TestRepeatPenalty(t *testing.T) {
	// Token 0 leads, but a strong penalty on it (it was just generated) makes 1 win.
	s := New(Params{RepeatPenalty: 2, RepeatLastN: 64})
	if got := s.Sample([]float32{2, 1.5, 0}, []int32{0}); got != 1 {
		t.Fatalf("with penalty got %d, want 1", got)
	}
	// Negative logits are multiplied: -1 becomes -2, below token 2's -1.5.
	if got := s.Sample([]float32{-1, -3, -1.5}, []int32{0}); got != 2 {
		t.Fatalf("with penalty on a negative logit got %d, want 2", got)
	}
}

func TestLogSoftmax(t *testing.T) {
	lp := LogSoftmax([]float32{0, 0})
	if math.Abs(lp[0]-math.Log(0.5)) > 1e-12 {
		t.Fatalf("log softmax of equal logits = %v", lp)
	}
}

// TestTopKMatchesStableSort: the bounded-heap selection keeps exactly the
// candidates, in the order, that a stable sort by logit followed by a cut
// at k keeps (ties, including many equal logits, broken by id).
func TestTopKMatchesStableSort(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for trial := 0; trial < 300; trial++ {
		n := 1 + r.IntN(3000)
		k := 1 + r.IntN(n+5)
		levels := 1 + r.IntN(50) // few distinct values: many ties
		c := make([]cand, n)
		for i := range c {
			c[i] = cand{id: int32(i), logit: float32(r.IntN(levels)) - float32(levels)/2}
		}
		want := slices.Clone(c)
		sort.SliceStable(want, func(i, j int) bool { return want[i].logit > want[j].logit })
		if k < n {
			want = want[:k]
		}
		var got []cand
		if k < n {
			got = topK(slices.Clone(c), k)
		} else {
			got = slices.Clone(c)
			slices.SortFunc(got, byLogit)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("n=%d k=%d: selection differs from a stable sort", n, k)
		}
	}
}

// BenchmarkSampleVocab150k: one sampled token over a Qwen-sized vocabulary
// with llama.cpp's default settings.
func BenchmarkSampleVocab150k(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	logits := make([]float32, 151936)
	for i := range logits {
		logits[i] = float32(r.NormFloat64() * 3)
	}
	s := New(Defaults())
	b.ReportAllocs()
	for b.Loop() {
		s.Sample(logits, nil)
	}
}
