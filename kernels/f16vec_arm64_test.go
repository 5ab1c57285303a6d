//go:build arm64 && !purego

package kernels

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/hearthlm/hearth/quant"
)

// randF16Extreme returns n finite halves: normal ones of varied magnitude,
// subnormals, zeros of both signs and the largest finite values.
func randF16Extreme(rng *rand.Rand, n int) []uint16 {
	h := make([]uint16, n)
	for i := range h {
		switch rng.IntN(6) {
		case 0:
			h[i] = uint16(rng.IntN(0x400)) | uint16(rng.IntN(2))<<15 // subnormal or zero
		case 1:
			h[i] = []uint16{0x7bff, 0xfbff, 0x7bfe, 0x0400, 0x8400}[rng.IntN(5)]
		default:
			h[i] = quant.FP32ToFP16(float32(rng.NormFloat64() * math.Exp(rng.NormFloat64()*4)))
		}
	}
	return h
}

// TestNEONF16VecExtremes compares the NEON ScaleF16, MadF16 and DotF16
// with the Go references bit for bit, on extreme halves (overflow to Inf
// and subnormal results included) and lengths around the 8- and
// 32-element steps.
func TestNEONF16VecExtremes(t *testing.T) {
	if !useNEON || !useF16Asm {
		t.Skip("no NEON")
	}
	rng := rand.New(rand.NewPCG(3, 8))
	scales := []float32{0, -0.0, 1, -1, 0.125, 1e-7, 3e-5, 65504, -2, 1e10}
	for iter := 0; iter < 400; iter++ {
		n := rng.IntN(300)
		s := scales[rng.IntN(len(scales))]
		if iter%2 == 0 {
			s = float32(rng.NormFloat64())
		}
		base := randF16Extreme(rng, n+3)
		acc := base[1 : 1+n]
		v := randF16Extreme(rng, n)
		want := slices.Clone(base)
		madF16Generic(want[1:1+n], v, s)
		MadF16(acc, v, s)
		if !slices.Equal(base, want) {
			t.Fatalf("MadF16 n=%d s=%v differs (or wrote outside)", n, s)
		}
		want = slices.Clone(base)
		scaleF16Generic(want[1:1+n], s)
		ScaleF16(acc, s)
		if !slices.Equal(base, want) {
			t.Fatalf("ScaleF16 n=%d s=%v differs (or wrote outside)", n, s)
		}
		b := make([]float32, n)
		for i, h := range randF16Extreme(rng, n) {
			b[i] = quant.FP16ToFP32(h)
		}
		if g, w := DotF16(acc, b), quant.DotF16(acc, b); math.Float32bits(g) != math.Float32bits(w) {
			t.Fatalf("DotF16 n=%d: %v (%#x), quant.DotF16 %v (%#x)", n, g, math.Float32bits(g), w, math.Float32bits(w))
		}
	}
}

// BenchmarkNEONDotF16 reports GB/s of float16 keys read by DotF16 (head
// size 128). Under qemu-user the numbers mean nothing.
func BenchmarkNEONDotF16(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	a := randF16(rng, 128, 1)
	q := make([]float32, 128)
	for i, h := range randF16(rng, 128, 1) {
		q[i] = quant.FP16ToFP32(h)
	}
	b.SetBytes(2 * 128)
	var sink float32
	for b.Loop() {
		sink += DotF16(a, q)
	}
	_ = sink
}
