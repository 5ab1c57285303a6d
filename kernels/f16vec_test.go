package kernels

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/hearthlm/hearth/quant"
)

func randF16(rng *rand.Rand, n int, scale float64) []uint16 {
	h := make([]uint16, n)
	for i := range h {
		h[i] = quant.FP32ToFP16(float32(rng.NormFloat64() * scale))
	}
	return h
}

// TestF16VecMatchesGeneric compares ScaleF16, MadF16 and DotF16 with their
// element-wise references over lengths 0..200 and unaligned starts, with
// guard elements after the written range.
func TestF16VecMatchesGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for n := 0; n <= 200; n++ {
		for off := 0; off < 3; off++ {
			s := float32(rng.NormFloat64())
			base := randF16(rng, off+n+4, 1)
			acc := base[off : off+n]
			v := randF16(rng, n, 2)
			want := slices.Clone(base)
			madF16Generic(want[off:off+n], v, s)
			MadF16(acc, v, s)
			if !slices.Equal(base, want) {
				t.Fatalf("MadF16 n=%d off=%d differs (or wrote outside)", n, off)
			}
			want = slices.Clone(base)
			scaleF16Generic(want[off:off+n], s)
			ScaleF16(acc, s)
			if !slices.Equal(base, want) {
				t.Fatalf("ScaleF16 n=%d off=%d differs (or wrote outside)", n, off)
			}
			b := make([]float32, n)
			for i, h := range randF16(rng, n, 1) {
				b[i] = quant.FP16ToFP32(h)
			}
			if g, w := DotF16(acc, b), quant.DotF16(acc, b); math.Float32bits(g) != math.Float32bits(w) {
				t.Fatalf("DotF16 n=%d: %v, quant.DotF16 %v", n, g, w)
			}
		}
	}
}

func BenchmarkMadF16(b *testing.B) {
	acc, v := randF16(rand.New(rand.NewPCG(1, 1)), 128, 1), randF16(rand.New(rand.NewPCG(2, 2)), 128, 1)
	for b.Loop() {
		MadF16(acc, v, 0.5)
	}
}
