package kernels

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/hearthlm/hearth/gguf"
	"github.com/hearthlm/hearth/quant"
)

// TestTinyDotRowsFastMatchesGo: the tinyBLAS-order assembly gives exactly
// quant.TinyDotRows' floats for F32, F16 and BF16 rows.
func TestTinyDotRowsFastMatchesGo(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, typ := range []gguf.Type{gguf.TypeF32, gguf.TypeF16, gguf.TypeBF16} {
		for trial := 0; trial < 60; trial++ {
			n := 8 * (1 + r.IntN(96))
			rows := 4 * (1 + r.IntN(6))
			rb := quant.RowBytes(typ, n)
			w := make([]byte, rows*rb)
			x := make([]byte, rb)
			fill := func(b []byte) {
				for i := 0; i < len(b)/quant.RowBytes(typ, 1); i++ {
					v := float32(r.NormFloat64() * math.Pow(10, float64(r.IntN(5)-2)))
					switch typ {
					case gguf.TypeF32:
						binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
					case gguf.TypeF16:
						binary.LittleEndian.PutUint16(b[2*i:], quant.FP32ToFP16(v))
					case gguf.TypeBF16:
						binary.LittleEndian.PutUint16(b[2*i:], quant.FP32ToBF16(v))
					}
				}
			}
			fill(w)
			fill(x)
			want := make([]float32, rows)
			quant.TinyDotRows(typ, n, w, rows, x, want)
			got := make([]float32, rows+1)
			got[rows] = 42
			if !TinyDotRowsFast(typ, n, w, rows, x, got[:rows]) {
				if tinyAsm() {
					t.Fatalf("%v n=%d rows=%d: no fast kernel", typ, n, rows)
				}
				t.Skip("no AVX2 kernels in this build")
			}
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%v n=%d rows=%d row %d: %g, want %g", typ, n, rows, i, got[i], want[i])
				}
			}
			if got[rows] != 42 {
				t.Fatalf("%v: wrote past the rows", typ)
			}
		}
	}
}

func BenchmarkTinyDotRows(b *testing.B) {
	const n, rows = 2048, 64
	w := make([]byte, rows*n*4)
	x := make([]byte, n*4)
	out := make([]float32, rows)
	b.Run("asm", func(b *testing.B) {
		b.SetBytes(int64(len(w)))
		for b.Loop() {
			if !TinyDotRowsFast(gguf.TypeF32, n, w, rows, x, out) {
				b.Skip("no assembly")
			}
		}
	})
	b.Run("go", func(b *testing.B) {
		b.SetBytes(int64(len(w)))
		for b.Loop() {
			quant.TinyDotRows(gguf.TypeF32, n, w, rows, x, out)
		}
	})
}
