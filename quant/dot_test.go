package quant

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/hearthlm/hearth/gguf"
)

var dotTypes = []gguf.Type{
	gguf.TypeF32, gguf.TypeF16, gguf.TypeBF16,
	gguf.TypeQ4_0, gguf.TypeQ4_1, gguf.TypeQ5_0, gguf.TypeQ5_1, gguf.TypeQ8_0,
	gguf.TypeQ2_K, gguf.TypeQ3_K, gguf.TypeQ4_K, gguf.TypeQ5_K, gguf.TypeQ6_K,
}

// randomWeights returns n elements of type t as random but valid blocks:
// random quant bits, with the block scales set to finite halves of moderate
// size (positive or, for d, of either sign).
func randomWeights(rng *rand.Rand, t gguf.Type, n int) []byte {
	b := make([]byte, RowBytes(t, n))
	switch t {
	case gguf.TypeF32, gguf.TypeF16, gguf.TypeBF16:
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		if err := QuantizeRow(t, x, b); err != nil {
			panic(err)
		}
		return b
	}
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	half := func(lo, hi float64) uint16 {
		v := lo + (hi-lo)*rng.Float64()
		if rng.IntN(2) == 0 {
			v = -v
		}
		return FP32ToFP16(float32(v))
	}
	put := func(blk []byte, off int, h uint16) { binary.LittleEndian.PutUint16(blk[off:], h) }
	bs := t.TypeSize()
	for o := 0; o < len(b); o += bs {
		blk := b[o : o+bs]
		switch t {
		case gguf.TypeQ4_0, gguf.TypeQ5_0, gguf.TypeQ8_0:
			put(blk, 0, half(1e-3, 1e-1))
		case gguf.TypeQ4_1, gguf.TypeQ5_1:
			put(blk, 0, half(1e-3, 1e-1))
			put(blk, 2, half(1e-2, 1))
		case gguf.TypeQ2_K:
			put(blk, 80, half(1e-3, 1e-1))
			put(blk, 82, half(1e-3, 1e-1))
		case gguf.TypeQ3_K:
			put(blk, 108, half(1e-3, 1e-1))
		case gguf.TypeQ4_K, gguf.TypeQ5_K:
			put(blk, 0, half(1e-3, 1e-1))
			put(blk, 2, half(1e-3, 1e-1))
		case gguf.TypeQ6_K:
			put(blk, 208, half(1e-3, 1e-1))
		}
	}
	return b
}

func randomActivations(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64() * math.Exp(rng.NormFloat64()))
	}
	return x
}

// refDot is the float64 dot product of the dequantized weights with the
// dequantized activations. For Q8_1 activations the weight's min term uses
// the block's stored s (= half(d*sum(q))), as ggml does, instead of the sum
// of the dequantized values.
func refDot(t gguf.Type, n int, w, x []byte) (dot, mag float64) {
	wf := make([]float32, n)
	xf := make([]float32, n)
	if err := DequantizeRow(t, w, wf); err != nil {
		panic(err)
	}
	xt := VecDotType(t)
	if err := DequantizeRow(xt, x, xf); err != nil {
		panic(err)
	}
	for i := range wf {
		dot += float64(wf[i]) * float64(xf[i])
		mag += math.Abs(float64(wf[i]) * float64(xf[i]))
	}
	if xt == gguf.TypeQ8_1 {
		wbs := t.TypeSize()
		for b := 0; b < n/32; b++ {
			m := float64(f16(w[b*wbs+2:]))
			xb := x[36*b:]
			var sumx float64
			for _, v := range xf[32*b : 32*b+32] {
				sumx += float64(v)
			}
			dot += m*float64(f16(xb[2:])) - m*sumx
			mag += math.Abs(m * float64(f16(xb[2:])))
		}
	}
	return dot, mag
}

// TestVecDotReference checks VecDot against a float64 dot product of the
// dequantized operands. Tolerance: 1e-5 of sum|w_i*x_i| (float32 rounding of
// the per-block scale products and of the running sum).
func TestVecDotReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, typ := range dotTypes {
		for _, n := range []int{256, 512, 4096} {
			t.Run(fmt.Sprintf("%s/%d", typ, n), func(t *testing.T) {
				for trial := 0; trial < 20; trial++ {
					w := randomWeights(rng, typ, n)
					xt := VecDotType(typ)
					x := make([]byte, RowBytes(xt, n))
					if err := QuantizeRow(xt, randomActivations(rng, n), x); err != nil {
						t.Fatal(err)
					}
					got := VecDot(typ, n, w, x)
					want, mag := refDot(typ, n, w, x)
					if d := math.Abs(float64(got) - want); d > 1e-5*mag {
						t.Fatalf("trial %d: got %g, want %g (diff %g, sum|wx| %g)", trial, got, want, d, mag)
					}
				}
			})
		}
	}
}

func TestDotRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n, rows = 512, 7
	for _, typ := range dotTypes {
		w := randomWeights(rng, typ, n*rows)
		xt := VecDotType(typ)
		x := make([]byte, RowBytes(xt, n))
		if err := QuantizeRow(xt, randomActivations(rng, n), x); err != nil {
			t.Fatal(err)
		}
		out := make([]float32, rows+1)
		out[rows] = 42 // guard
		DotRows(typ, n, w, rows, x, out)
		rb := RowBytes(typ, n)
		for r := 0; r < rows; r++ {
			if want := VecDot(typ, n, w[r*rb:(r+1)*rb], x); math.Float32bits(out[r]) != math.Float32bits(want) {
				t.Errorf("%s row %d: %g, VecDot %g", typ, r, out[r], want)
			}
		}
		if out[rows] != 42 {
			t.Errorf("%s: DotRows wrote past rows", typ)
		}
	}
}

func TestVecDotType(t *testing.T) {
	want := map[gguf.Type]gguf.Type{
		gguf.TypeF32: gguf.TypeF32, gguf.TypeF16: gguf.TypeF16, gguf.TypeBF16: gguf.TypeBF16,
		gguf.TypeQ4_0: gguf.TypeQ8_0, gguf.TypeQ5_0: gguf.TypeQ8_0, gguf.TypeQ8_0: gguf.TypeQ8_0,
		gguf.TypeQ4_1: gguf.TypeQ8_1, gguf.TypeQ5_1: gguf.TypeQ8_1,
		gguf.TypeQ2_K: gguf.TypeQ8_K, gguf.TypeQ3_K: gguf.TypeQ8_K, gguf.TypeQ4_K: gguf.TypeQ8_K,
		gguf.TypeQ5_K: gguf.TypeQ8_K, gguf.TypeQ6_K: gguf.TypeQ8_K,
	}
	for w, x := range want {
		if got := VecDotType(w); got != x {
			t.Errorf("VecDotType(%s) = %s, want %s", w, got, x)
		}
	}
}

func TestRowBytes(t *testing.T) {
	cases := []struct {
		t    gguf.Type
		n    int
		want int
	}{
		{gguf.TypeF32, 3, 12}, {gguf.TypeQ4_0, 64, 36}, {gguf.TypeQ4_K, 512, 288},
		{gguf.TypeQ4_K, 100, -1}, {gguf.TypeQ8_0, -32, -1}, {gguf.Type(99), 32, -1},
	}
	for _, c := range cases {
		if got := RowBytes(c.t, c.n); got != c.want {
			t.Errorf("RowBytes(%s, %d) = %d, want %d", c.t, c.n, got, c.want)
		}
	}
}

func BenchmarkDotRows(b *testing.B) {
	const n, rows = 4096, 256
	rng := rand.New(rand.NewPCG(5, 6))
	for _, typ := range dotTypes {
		b.Run(typ.String(), func(b *testing.B) {
			w := randomWeights(rng, typ, n*rows)
			xt := VecDotType(typ)
			x := make([]byte, RowBytes(xt, n))
			if err := QuantizeRow(xt, randomActivations(rng, n), x); err != nil {
				b.Fatal(err)
			}
			out := make([]float32, rows)
			b.SetBytes(int64(len(w)))
			b.ResetTimer()
			for b.Loop() {
				DotRows(typ, n, w, rows, x, out)
			}
		})
	}
}
