package quant

import (
	"math"
	"math/rand/v2"
	"testing"
)

// halfValue is an independent formula for a finite half's value.
func halfValue(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	e := int(h>>10) & 0x1f
	m := float64(h & 0x3ff)
	if e == 0 {
		return sign * math.Ldexp(m, -24)
	}
	return sign * math.Ldexp(1024+m, e-25)
}

func isHalfNaN(h uint16) bool { return h&0x7c00 == 0x7c00 && h&0x3ff != 0 }

func TestFP16ToFP32Exhaustive(t *testing.T) {
	for i := 0; i < 1<<16; i++ {
		h := uint16(i)
		got := FP16ToFP32(h)
		bits := math.Float32bits(got)
		switch {
		case isHalfNaN(h):
			want := uint32(h&0x8000)<<16 | 0x7fc00000 | uint32(h&0x3ff)<<13
			if bits != want {
				t.Fatalf("%#04x: NaN bits %#08x, want %#08x", h, bits, want)
			}
		case h&0x7fff == 0x7c00:
			if !math.IsInf(float64(got), 0) || math.Signbit(float64(got)) != (h&0x8000 != 0) {
				t.Fatalf("%#04x: got %g, want Inf", h, got)
			}
		default:
			if float64(got) != halfValue(h) || math.Signbit(float64(got)) != (h&0x8000 != 0) {
				t.Fatalf("%#04x: got %g, want %g", h, got, halfValue(h))
			}
		}
	}
}

func TestFP32ToFP16RoundTrip(t *testing.T) {
	for i := 0; i < 1<<16; i++ {
		h := uint16(i)
		back := FP32ToFP16(FP16ToFP32(h))
		if isHalfNaN(h) {
			if back != h|0x200 { // quietened, payload kept
				t.Fatalf("NaN %#04x -> %#04x", h, back)
			}
			continue
		}
		if back != h {
			t.Fatalf("%#04x -> %g -> %#04x", h, FP16ToFP32(h), back)
		}
	}
}

// nearestHalf finds the half nearest to f (ties to even mantissa) by
// comparing float64 distances to the two bracketing halves.
func nearestHalf(f float32) uint16 {
	v := float64(f)
	sign := uint16(0)
	if math.Signbit(v) {
		sign, v = 0x8000, -v
	}
	if v >= 65520 { // max half 65504 + half an ulp (16)
		return sign | 0x7c00
	}
	// Binary search the largest non-negative finite half <= v.
	lo, hi := uint16(0), uint16(0x7bff)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if halfValue(mid) <= v {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	if halfValue(lo) == v || lo == 0x7bff {
		return sign | lo
	}
	dl, du := v-halfValue(lo), halfValue(lo+1)-v
	if du < dl || (du == dl && lo&1 == 1) {
		return sign | (lo + 1)
	}
	return sign | lo
}

// TestFP32ToFP16Rounding checks every midpoint between adjacent halves and
// its float32 neighbours, plus random floats, against nearestHalf.
func TestFP32ToFP16Rounding(t *testing.T) {
	check := func(f float32) {
		if got, want := FP32ToFP16(f), nearestHalf(f); got != want {
			t.Fatalf("FP32ToFP16(%g [%#08x]) = %#04x, want %#04x", f, math.Float32bits(f), got, want)
		}
	}
	for h := uint16(0); h < 0x7c00; h++ {
		a := halfValue(h)
		b := 65536.0 // the next binade step past the largest half, 65504
		if h < 0x7bff {
			b = halfValue(h + 1)
		}
		mid := float32((a + b) / 2) // exact in float32; 65520 at the top
		for _, f := range []float32{mid, math.Nextafter32(mid, 0), math.Nextafter32(mid, 1e9), float32(a)} {
			check(f)
			check(-f)
		}
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for i := 0; i < 200_000; i++ {
		f := math.Float32frombits(rng.Uint32())
		if f != f {
			continue
		}
		check(f)
	}
	if got := FP32ToFP16(float32(math.NaN())); !isHalfNaN(got) {
		t.Errorf("NaN -> %#04x", got)
	}
	if got := FP32ToFP16(float32(math.Inf(-1))); got != 0xfc00 {
		t.Errorf("-Inf -> %#04x", got)
	}
}

func TestBF16(t *testing.T) {
	for i := 0; i < 1<<16; i++ {
		h := uint16(i)
		f := BF16ToFP32(h)
		if bits := math.Float32bits(f); bits != uint32(h)<<16 {
			t.Fatalf("BF16ToFP32(%#04x) bits %#08x", h, bits)
		}
		back := FP32ToBF16(f)
		if f != f {
			if back != h|0x40 {
				t.Fatalf("NaN %#04x -> %#04x", h, back)
			}
			continue
		}
		if back != h {
			t.Fatalf("%#04x -> %#04x", h, back)
		}
		// The midpoint to the next value rounds to the even one of the two.
		if h&0x7fff < 0x7f7f {
			mid := math.Float32frombits(uint32(h)<<16 | 0x8000)
			want := h
			if h&1 == 1 {
				want = h + 1
			}
			if got := FP32ToBF16(mid); got != want {
				t.Fatalf("midpoint above %#04x -> %#04x, want %#04x", h, got, want)
			}
			above := math.Float32frombits(uint32(h)<<16 | 0x8001)
			if got := FP32ToBF16(above); got != h+1 {
				t.Fatalf("just above midpoint of %#04x -> %#04x", h, got)
			}
		}
	}
}
