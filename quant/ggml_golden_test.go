package quant

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/hearthlm/hearth/gguf"
)

// Goldens from ggml-cpu itself (built for AVX2/FMA/F16C), made by the
// harness described in testdata/README.md.

func readF32File(t *testing.T, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, len(b)/4)
	if err := DequantizeRow(gguf.TypeF32, b, x); err != nil {
		t.Fatal(err)
	}
	return x
}

// TestQuantizeActivationsGGML compares QuantizeRow with ggml-cpu's from_float
// for the activation types on a row with ties, zero blocks and wide ranges.
func TestQuantizeActivationsGGML(t *testing.T) {
	dir := filepath.Join("testdata", "ggml")
	x := readF32File(t, filepath.Join(dir, "act.f32"))
	for _, typ := range []gguf.Type{gguf.TypeQ8_0, gguf.TypeQ8_1, gguf.TypeQ8_K, gguf.TypeF16, gguf.TypeBF16} {
		t.Run(typ.String(), func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join(dir, "act."+typ.String()))
			if err != nil {
				t.Fatal(err)
			}
			got := make([]byte, len(want))
			if err := QuantizeRow(typ, x, got); err != nil {
				t.Fatal(err)
			}
			// ggml leaves the bsums of an all-zero Q8_K block untouched; the
			// harness's buffer was zeroed, which is what we write.
			if !bytes.Equal(got, want) {
				bs := typ.TypeSize()
				for o := 0; o < len(want); o += bs {
					if !bytes.Equal(got[o:o+bs], want[o:o+bs]) {
						t.Fatalf("block %d differs:\n got %x\nwant %x", o/bs, got[o:o+bs], want[o:o+bs])
					}
				}
			}
		})
	}
}

// TestVecDotGGML compares VecDot with ggml-cpu's vec_dot on the 16 rows of
// testdata/dequant's blk.0.ffn_down.weight of each type and one activation
// row. The float summation order differs (ggml sums SIMD lanes), so the
// tolerance is 1e-5 of sum|w_i*x_i|.
func TestVecDotGGML(t *testing.T) {
	dir := filepath.Join("testdata", "ggml")
	act := readF32File(t, filepath.Join(dir, "dot_act.f32"))
	js, err := os.ReadFile(filepath.Join(dir, "dot.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want map[string][]uint32
	if err := json.Unmarshal(js, &want); err != nil {
		t.Fatal(err)
	}
	const n = 768
	for _, typ := range dotTypes {
		t.Run(typ.String(), func(t *testing.T) {
			bits, ok := want[typ.String()]
			if !ok {
				t.Fatal("no golden")
			}
			w, err := os.ReadFile(filepath.Join("testdata", "dequant", "synth-llama-"+typ.String()+".blk.0.ffn_down.weight.raw"))
			if err != nil {
				t.Fatal(err)
			}
			xt := VecDotType(typ)
			x := make([]byte, RowBytes(xt, n))
			if err := QuantizeRow(xt, act, x); err != nil {
				t.Fatal(err)
			}
			rb := RowBytes(typ, n)
			out := make([]float32, len(bits))
			DotRows(typ, n, w, len(bits), x, out)
			for r, b := range bits {
				g := math.Float32frombits(b)
				_, mag := refDot(typ, n, w[r*rb:(r+1)*rb], x)
				if math.Float32bits(out[r]) != b {
					t.Errorf("row %d: got %g, ggml %g: not bit-identical", r, out[r], g)
				}
				if d := math.Abs(float64(out[r]) - float64(g)); d > 1e-5*mag {
					t.Errorf("row %d: got %g, ggml %g (diff %g, sum|wx| %g)", r, out[r], g, d, mag)
				}
			}
		})
	}
}
