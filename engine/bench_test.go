package engine

import (
	"os"
	"testing"
)

// BenchmarkDecodeStep times one generated token on the synthetic Llama
// model and reports its allocations (the decode loop should make none).
func BenchmarkDecodeStep(b *testing.B) {
	const path = "../../shared/testdata/synthetic/synth-llama-Q4_K.gguf"
	if _, err := os.Stat(path); err != nil {
		b.Skip("no synthetic model:", err)
	}
	m, err := Load(path, Options{Threads: 2, Context: 256})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	s, err := m.NewSession(256)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i%200 == 0 {
			s.Reset()
		}
		if _, err := s.Step(int32(1 + i%100)); err != nil {
			b.Fatal(err)
		}
	}
}

// TestBenchSmall runs Bench on the synthetic model with tiny sizes.
func TestBenchSmall(t *testing.T) {
	const path = "../../shared/testdata/synthetic/synth-llama-Q4_K.gguf"
	if _, err := os.Stat(path); err != nil {
		t.Skip("no synthetic model:", err)
	}
	m, err := Load(path, Options{Threads: 2, Context: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	r, err := m.Bench(BenchOptions{Prompt: 16, Gen: 4, Reps: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []BenchStats{r.PromptTPS, r.GenTPS} {
		if len(s.Samples) != 3 || !(s.Min > 0 && s.Min <= s.Median && s.Median <= s.Max) {
			t.Fatalf("bad stats %+v", s)
		}
	}
	if r.NPrompt != 16 || r.NGen != 4 {
		t.Fatalf("n_prompt %d n_gen %d", r.NPrompt, r.NGen)
	}
}
