package kernels

import (
	"math"
	"testing"

	"github.com/hearthlm/hearth/quant"
)

// f16Inputs are float32 bit patterns spread over all of them (every 4099th,
// so every exponent and many mantissas), plus the float16 rounding edges:
// halfway cases between halves, subnormal and overflow boundaries.
func f16Inputs() []float32 {
	var xs []float32
	for b := uint64(0); b < 1<<32; b += 4099 {
		xs = append(xs, math.Float32frombits(uint32(b)))
	}
	for h := 0; h < 1<<16; h += 7 {
		f := quant.FP16ToFP32(uint16(h))
		bits := math.Float32bits(f)
		for _, d := range []int32{-1, 0, 1, 1 << 12, 1<<12 - 1, 1<<12 + 1, 1 << 13} { // around half's rounding point
			xs = append(xs, math.Float32frombits(uint32(int32(bits)+d)))
		}
	}
	return append(xs, 65504, 65520, 65519.996, -65520, 5.96e-8, 2.98e-8, 2.9802326e-8, float32(math.Inf(1)), float32(math.NaN()))
}

func sameF32(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b)
}

func sameF16(a, b uint16) bool {
	isNaN := func(h uint16) bool { return h&0x7c00 == 0x7c00 && h&0x3ff != 0 }
	return a == b || (isNaN(a) && isNaN(b))
}

// TestF16Conversions checks ToF16, RoundF16 and FromF16Scale (F16C
// assembly where there is one, with Go tails) against quant's scalar
// conversions, element for element (NaNs only as NaNs), for every length
// alignment.
func TestF16Conversions(t *testing.T) {
	xs := f16Inputs()
	for _, off := range []int{0, 1, 5} {
		src := xs[off:]
		h := make([]uint16, len(src))
		ToF16(h, src)
		r := make([]float32, len(src))
		RoundF16(r, src)
		for i, x := range src {
			want := quant.FP32ToFP16(x)
			if !sameF16(h[i], want) {
				t.Fatalf("ToF16(%v = %#08x) = %#04x, want %#04x", x, math.Float32bits(x), h[i], want)
			}
			if w := quant.FP16ToFP32(want); !sameF32(r[i], w) {
				t.Fatalf("RoundF16(%v) = %v, want %v", x, r[i], w)
			}
		}
	}
	hs := make([]uint16, 1<<16)
	for i := range hs {
		hs[i] = uint16(i)
	}
	for _, s := range []float32{1, 0.37, 3e-5, 1 / 7.0} {
		for _, off := range []int{0, 3} {
			out := make([]float32, len(hs)-off)
			FromF16Scale(out, hs[off:], s)
			for i, h := range hs[off:] {
				if w := quant.FP16ToFP32(h) * s; !sameF32(out[i], w) {
					t.Fatalf("FromF16Scale(%#04x, %v) = %v, want %v", h, s, out[i], w)
				}
			}
		}
	}
}
