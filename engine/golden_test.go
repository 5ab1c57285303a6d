package engine

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearthlm/hearth/sample"
)

// golden is the format of llama.cpp's reference outputs (see testdata/README.md).
//
// The checks read testdata/avx2/: llama.cpp's outputs on an AVX2 CPU
// without AVX-512 (ggml-cpu's haswell variant), whose float order hearth's
// kernels follow. The goldens under ../shared were made on an AVX-512
// machine, where ggml-cpu takes other kernels (another summation order);
// through these random-weight models that moves some log-probabilities by
// up to 0.4, so they cannot be met at 1e-3 by an AVX2-order engine.
type golden struct {
	Greedy []struct {
		PromptTokens []int32 `json:"prompt_tokens"`
		Tokens       []int32 `json:"tokens"`
		Text         string  `json:"text"`
		Prompt       string  `json:"prompt"`
	} `json:"greedy"`
	Probs []struct {
		Tokens    []int32 `json:"tokens"`
		Positions []struct {
			Pos int          `json:"pos"`
			Top [][3]float64 `json:"top"` // id, p, ln p
		} `json:"positions"`
	} `json:"probs"`
}

func readGolden(t *testing.T, path string) *golden {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &g
}

func sharedDir(t *testing.T, sub string) string {
	t.Helper()
	d := filepath.Join("..", "..", "shared", "testdata", sub)
	if _, err := os.Stat(d); err != nil {
		t.Skipf("%s not found: the shared test corpus is not beside this checkout", d)
	}
	return d
}

// checkGreedy generates from each golden prompt at temperature 0 and
// requires llama.cpp's tokens exactly.
func checkGreedy(t *testing.T, m *Model, g *golden) {
	t.Helper()
	for _, c := range g.Greedy {
		sess, err := m.NewSession(len(c.PromptTokens) + len(c.Tokens) + 1)
		if err != nil {
			t.Fatal(err)
		}
		res, err := sess.Generate(context.Background(), c.PromptTokens, GenerateOptions{MaxTokens: len(c.Tokens), Sampling: sample.Params{}}, func(string) {})
		if err != nil {
			t.Fatal(err)
		}
		if !equalIDs(res.Tokens, c.Tokens) {
			t.Errorf("prompt %q: greedy tokens\n got %v\nwant %v", c.Prompt, res.Tokens, c.Tokens)
		}
	}
}

// checkProbs compares log-probabilities of llama.cpp's top tokens at every position.
func checkProbs(t *testing.T, m *Model, g *golden, tol float64) {
	t.Helper()
	worst := 0.0
	for _, seq := range g.Probs {
		res, err := m.Eval(seq.Tokens, m.Net.Info().Vocab)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range seq.Positions {
			lp := map[int]float64{}
			for _, e := range res.Positions[want.Pos].Top {
				lp[int(e[0])] = e[2]
			}
			for _, w := range want.Top {
				d := math.Abs(lp[int(w[0])] - w[2])
				worst = math.Max(worst, d)
				if d > tol {
					t.Errorf("position %d token %d: log-prob %.6f, llama.cpp %.6f (diff %.2g > %g)", want.Pos, int(w[0]), lp[int(w[0])], w[2], d, tol)
				}
			}
		}
	}
	t.Logf("largest log-prob difference from llama.cpp: %.3g", worst)
}

func equalIDs(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDemoMatchesLlamaCpp(t *testing.T) {
	m, err := Load("", Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	// Greedy text is checked against the shared golden the issue names
	// (it is the same on AVX2 and AVX-512); log-probs against the one
	// llama.cpp made on this kind of CPU (testdata/README.md).
	g := readGolden(t, filepath.Join("testdata", "stories260K.golden.json"))
	gp := readGolden(t, filepath.Join("testdata", "avx2", "stories260K.json"))
	t.Run("prompt-tokens", func(t *testing.T) {
		for _, c := range g.Greedy {
			got, err := m.PromptTokens(c.Prompt, "", false)
			if err != nil {
				t.Fatal(err)
			}
			if !equalIDs(got, c.PromptTokens) {
				t.Errorf("prompt %q: tokens %v, llama.cpp %v", c.Prompt, got, c.PromptTokens)
			}
		}
	})
	t.Run("greedy", func(t *testing.T) { checkGreedy(t, m, g) })
	t.Run("greedy-text", func(t *testing.T) {
		for _, c := range g.Greedy {
			sess, _ := m.NewSession(0)
			var sb strings.Builder
			if _, err := sess.Generate(context.Background(), c.PromptTokens, GenerateOptions{MaxTokens: len(c.Tokens)}, func(s string) { sb.WriteString(s) }); err != nil {
				t.Fatal(err)
			}
			if sb.String() != c.Text {
				t.Errorf("prompt %q: text\n got %q\nwant %q", c.Prompt, sb.String(), c.Text)
			}
		}
	})
	t.Run("logprobs", func(t *testing.T) {
		skipKnown(t, "demo/logprobs")
		checkProbs(t, m, gp, 1e-3)
	})
}

func synthTol(typ string) float64 {
	if typ == "Q2_K" || typ == "Q3_K" {
		return 5e-3
	}
	return 1e-3
}

// knownDiff lists, per weight type and subtest, the checks that do not yet
// match llama.cpp, with what still differs. The dot products (quant.VecDot)
// are bit-identical to ggml-cpu's AVX2 vec_dot on the quant goldens,
// F32/F16/BF16 batches follow tinyBLAS's order, and the Q4_0/Q4_K weights
// ggml repacks (CPU_REPACK) follow its gemm/gemv order (quant.RepackDotRows);
// what is left is named here.
// Tolerances are never loosened: a check is either strict or skipped.
var knownDiff = map[string]string{}

// skipKnown skips a check listed in knownDiff, unless HEARTH_GOLDEN_ALL is
// set (to see what a listed check does now).
func skipKnown(t *testing.T, key string) {
	t.Helper()
	if os.Getenv("HEARTH_GOLDEN_ALL") != "" {
		return
	}
	if why, ok := knownDiff[key]; ok {
		t.Skipf("%s: does not match llama.cpp yet: %s", key, why)
	}
}

func TestSyntheticQ4KMatchesLlamaCpp(t *testing.T) {
	skipKnown(t, "Q4_K/logprobs")
	m, err := Load(filepath.Join("testdata", "synth-llama-Q4_K.gguf"), Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	g := readGolden(t, filepath.Join("testdata", "avx2", "synth-llama-Q4_K.json"))
	checkGreedy(t, m, g)
	checkProbs(t, m, g, 1e-3)
}

func TestSyntheticAllTypesMatchLlamaCpp(t *testing.T) {
	dir := sharedDir(t, "synthetic")
	for _, typ := range []string{"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"} {
		t.Run(typ, func(t *testing.T) {
			m, err := Load(filepath.Join(dir, "synth-llama-"+typ+".gguf"), Options{Threads: 2})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			g := readGolden(t, filepath.Join("testdata", "avx2", "synth-llama-"+typ+".json"))
			t.Run("greedy", func(t *testing.T) { skipKnown(t, typ+"/greedy"); checkGreedy(t, m, g) })
			t.Run("logprobs", func(t *testing.T) { skipKnown(t, typ+"/logprobs"); checkProbs(t, m, g, synthTol(typ)) })
		})
	}
}

// TestThreadCountInvariance: greedy tokens and logits do not depend on
// the thread count (each output element is computed by one chunk).
func TestThreadCountInvariance(t *testing.T) {
	var runs [][]float32
	for _, threads := range []int{1, 2, 3} {
		m, err := Load(filepath.Join("testdata", "synth-llama-Q4_K.gguf"), Options{Threads: threads})
		if err != nil {
			t.Fatal(err)
		}
		sess, err := m.NewSession(64)
		if err != nil {
			t.Fatal(err)
		}
		res, err := sess.Generate(context.Background(), []int32{1, 403, 407, 261, 378}, GenerateOptions{MaxTokens: 24}, func(string) {})
		if err != nil {
			t.Fatal(err)
		}
		logits, err := sess.Step(res.Tokens[len(res.Tokens)-1])
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, append([]float32(nil), logits...))
		m.Close()
	}
	for i := 1; i < len(runs); i++ {
		for j := range runs[0] {
			if runs[i][j] != runs[0][j] {
				t.Fatalf("logit %d differs between thread counts: %v vs %v", j, runs[0][j], runs[i][j])
			}
		}
	}
}
