package model_test

import (
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/hearthlm/hearth/convert"
	"github.com/hearthlm/hearth/gguf"
	"github.com/hearthlm/hearth/internal/testmodel"
	"github.com/hearthlm/hearth/model"
	"github.com/hearthlm/hearth/safetensors"
)

// TestBatchOfSequencesAsAlone: a forward pass over several sequences at
// once — prompts of 70, 9, 6 and 3 tokens and a single token, their entries
// interleaved, logits wanted on some rows — gives every row the logits,
// bit for bit, that its own sequence gets when it runs the same tokens
// alone; so does the next pass, where each sequence decodes one token.
// Weight types: Q4_K and Q4_0 (ggml's repacked gemm/gemv orders), F16
// (tinyBLAS's order for batches) and Q8_0; for the architectures the
// converter writes, Q4_K_M and F16 files.
func TestBatchOfSequencesAsAlone(t *testing.T) {
	cases := []struct {
		spec string
		typ  gguf.Type
	}{
		{"tiny-qwen3", gguf.TypeQ4_K}, {"tiny-llama", gguf.TypeQ4_0}, {"tiny-qwen2", gguf.TypeF16},
		{"tiny-gemma3", gguf.TypeQ4_K}, {"tiny-gemma2", gguf.TypeF16}, {"tiny-phi3", gguf.TypeQ4_K},
		{"tiny-llama", gguf.TypeQ8_0},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s-%s", tc.spec, tc.typ), func(t *testing.T) {
			ft := map[gguf.Type]convert.FileType{gguf.TypeQ4_K: convert.FileQ4_K_M, gguf.TypeF16: convert.FileF16}[tc.typ]
			checkBatchAsAlone(t, openTiny(t, tc.spec, tc.typ, ft))
		})
	}
}

// openTiny writes a random-weight model of spec (testmodel.Specs) and loads
// it with two threads: a GGUF written directly in type typ, or, for the
// architectures whose GGUF layout only the converter writes (or typ 0), an
// HF checkpoint converted to file type ft.
func openTiny(t *testing.T, spec string, typ gguf.Type, ft convert.FileType) model.Model {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "m.gguf")
	if typ == 0 || testmodel.WriteGGUF(path, testmodel.Specs[spec], typ, 3) != nil {
		if err := testmodel.WriteHF(filepath.Join(dir, "hf"), testmodel.Specs[spec], safetensors.F32, 3, 0); err != nil {
			t.Fatal(err)
		}
		if err := convert.Convert(filepath.Join(dir, "hf"), path, convert.Options{Type: ft}); err != nil {
			t.Fatal(err)
		}
	}
	f, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	m, err := model.New(f, model.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

// seqRun is one sequence's part of a pass: its tokens from position pos,
// and which want logits.
type seqRun struct {
	tokens []int32
	pos    int
	logits []bool
}

func checkBatchAsAlone(t *testing.T, m model.Model) {
	t.Helper()
	vocab := m.Info().Vocab
	tok := func(s, i int) int32 { return int32((37*s + 11*i + 5) % vocab) }
	// 70: the tiled attention path (kernels.TiledMinRows); nine sequences:
	// the decode pass multiplies eight single tokens at once.
	lens := []int{9, 6, 1, 3, 70, 2, 1, 5, 4}
	var first []seqRun
	for s, n := range lens {
		r := seqRun{pos: 0}
		for i := 0; i < n; i++ {
			r.tokens = append(r.tokens, tok(s, i))
			r.logits = append(r.logits, i == n-1 || s == 1) // sequence 1 wants every row's logits
		}
		first = append(first, r)
	}
	var second []seqRun
	for s, n := range lens {
		second = append(second, seqRun{tokens: []int32{tok(s, 100)}, pos: n, logits: []bool{true}})
	}

	// Alone: each sequence on its own cache.
	alone := make([][][]float32, len(lens)) // [seq][pass] logits rows
	for s := range lens {
		c, err := m.NewCache(128, 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, pass := range [][]seqRun{first, second} {
			r := pass[s]
			var b model.Batch
			for i, tk := range r.tokens {
				b.Add(tk, r.pos+i, 0, r.logits[i])
			}
			l, err := m.Forward(c, &b)
			if err != nil {
				t.Fatal(err)
			}
			alone[s] = append(alone[s], append([]float32(nil), l...))
		}
	}

	// Together: one cache of four sequences, entries interleaved.
	c, err := m.NewCache(128, len(lens))
	if err != nil {
		t.Fatal(err)
	}
	for p, pass := range [][]seqRun{first, second} {
		var b model.Batch
		type src struct{ seq, row int } // logits row row of the sequence's alone run
		var want []src
		next := make([]int, len(lens))
		nrow := make([]int, len(lens))
		for added := true; added; {
			added = false
			for s := len(lens) - 1; s >= 0; s-- { // round robin, last sequence first
				r := pass[s]
				if i := next[s]; i < len(r.tokens) {
					b.Add(r.tokens[i], r.pos+i, s, r.logits[i])
					if r.logits[i] {
						want = append(want, src{s, nrow[s]})
						nrow[s]++
					}
					next[s]++
					added = true
				}
			}
		}
		l, err := m.Forward(c, &b)
		if err != nil {
			t.Fatal(err)
		}
		if len(l) != len(want)*vocab {
			t.Fatalf("pass %d: %d logits, want %d rows of %d", p, len(l), len(want), vocab)
		}
		for j, w := range want {
			got, exp := l[j*vocab:(j+1)*vocab], alone[w.seq][p][w.row*vocab:(w.row+1)*vocab]
			for v := range got {
				if math.Float32bits(got[v]) != math.Float32bits(exp[v]) {
					t.Fatalf("pass %d, logits row %d (sequence %d, its row %d): logit %d = %v, alone %v", p, j, w.seq, w.row, v, got[v], exp[v])
				}
			}
		}
	}
}
