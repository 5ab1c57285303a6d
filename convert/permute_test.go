package convert_test

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hearthlm/hearth/convert"
	"github.com/hearthlm/hearth/gguf"
	"github.com/hearthlm/hearth/internal/testmodel"
	"github.com/hearthlm/hearth/model"
	"github.com/hearthlm/hearth/safetensors"
)

// TestLlamaPermutation checks the q/k row permutation against the meaning
// of a Transformers checkpoint: Llama there rotates (x[i], x[i+d/2]) pairs
// (rotate_half). The converted file, run with llama.cpp's adjacent-pair
// rope, must give the logits of the unpermuted weights run with NEOX rope.
func TestLlamaPermutation(t *testing.T) {
	dir := t.TempDir()
	spec := testmodel.TinyLlama
	spec.RopeFreqs = false
	hf := filepath.Join(dir, "hf")
	if err := testmodel.WriteHF(hf, spec, safetensors.F32, 3, 0); err != nil {
		t.Fatal(err)
	}
	perm, plain := filepath.Join(dir, "perm.gguf"), filepath.Join(dir, "plain.gguf")
	if err := convert.Convert(hf, perm, convert.Options{Type: convert.FileAllF32}); err != nil {
		t.Fatal(err)
	}
	unpermute(t, perm, plain, spec)
	run := func(path string, neox bool) []float32 {
		f, err := gguf.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		p, err := model.ReadHyper(f, "llama")
		if err != nil {
			t.Fatal(err)
		}
		m, err := model.NewDecoder(f, p, model.DecoderOptions{Neox: neox}, model.Options{Threads: 2})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		c, _ := m.NewCache(16, 1)
		var b model.Batch
		for i, tok := range []int32{5, 80, 300, 7, 99, 1000, 3, 42} {
			b.Add(tok, i, 0, true)
		}
		out, err := m.Forward(c, &b)
		if err != nil {
			t.Fatal(err)
		}
		return append([]float32(nil), out...)
	}
	a, b := run(perm, false), run(plain, true)
	worst := 0.0
	for i := range a {
		worst = math.Max(worst, math.Abs(float64(a[i]-b[i])))
	}
	if worst > 1e-3 {
		t.Errorf("permuted llama rope and NEOX rope on the original weights differ by %g", worst)
	}
	// And the permutation matters: NEOX on the permuted file differs.
	c := run(perm, true)
	diff := 0.0
	for i := range a {
		diff = math.Max(diff, math.Abs(float64(a[i]-c[i])))
	}
	if diff < 1e-2 {
		t.Errorf("rope style made no difference (%g): the test checks nothing", diff)
	}
}

// unpermute writes a copy of the F32 file src whose q and k rows are back
// in the checkpoint's order: GGUF row h*D + 2i + j came from h*D + j*D/2 + i.
func unpermute(t *testing.T, src, dst string, spec testmodel.Spec) {
	f, err := gguf.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	D := spec.HeadDim
	var ts []gguf.WriterTensor
	for i := range f.Tensors {
		ti := &f.Tensors[i]
		data := append([]byte(nil), f.Data(ti)...)
		if strings.HasSuffix(ti.Name, ".attn_q.weight") || strings.HasSuffix(ti.Name, ".attn_k.weight") {
			rb := int(ti.Shape[0]) * 4
			rows := int(ti.Shape[1])
			out := make([]byte, len(data))
			for r := 0; r < rows; r++ {
				h, k := r/D, r%D
				orig := h*D + (k%2)*(D/2) + k/2
				copy(out[orig*rb:(orig+1)*rb], data[r*rb:(r+1)*rb])
			}
			data = out
		}
		ts = append(ts, gguf.WriterTensor{Name: ti.Name, Shape: ti.Shape, Type: ti.Type, Data: data})
	}
	if err := gguf.WriteFile(dst, f.Metadata, ts); err != nil {
		t.Fatal(err)
	}
}
