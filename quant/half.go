package quant

import "math"

// IEEE 754 binary16 ("half") and bfloat16 conversions.
//
// FP16 conversions follow the x86 F16C instructions that ggml-cpu uses on an
// AVX2 machine (VCVTPH2PS, and VCVTPS2PH with imm8=0, round to nearest even):
// every finite half converts exactly; subnormals are kept, not flushed;
// float32 values round to nearest, ties to even, overflow becoming ±Inf and
// underflow becoming subnormals or ±0. NaNs keep their sign and the top bits
// of their payload and come out quiet. ggml's portable software conversion
// (ggml_compute_fp32_to_fp16) agrees on every non-NaN input; for NaN inputs it
// returns the canonical 0x7E00 with the sign, dropping the payload.

// FP16ToFP32 converts an IEEE half, given by its bits, to float32 exactly.
func FP16ToFP32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch exp {
	case 0:
		if mant == 0 {
			return math.Float32frombits(sign)
		}
		// Subnormal: mant * 2^-24, exact in float32.
		v := float32(mant) * (1.0 / (1 << 24))
		return math.Float32frombits(sign | math.Float32bits(v))
	case 0x1f:
		if mant == 0 {
			return math.Float32frombits(sign | 0x7f800000)
		}
		return math.Float32frombits(sign | 0x7fc00000 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+(127-15))<<23 | mant<<13)
}

// FP32ToFP16 converts f to the nearest IEEE half (ties to even) and returns
// its bits.
func FP32ToFP16(f float32) uint16 {
	x := math.Float32bits(f)
	sign := uint16(x>>16) & 0x8000
	exp := int(x>>23) & 0xff
	mant := x & 0x7fffff
	if exp == 0xff {
		if mant != 0 {
			return sign | 0x7e00 | uint16(mant>>13)
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15 // biased half exponent
	if e >= 0x1f {
		return sign | 0x7c00
	}
	if e <= 0 {
		// Result is a half subnormal (or zero): round(m * 2^(exp-126)).
		if exp == 0 {
			return sign // float32 subnormals are far below half's smallest
		}
		m := mant | 0x800000
		shift := uint(126 - exp) // >= 14
		if shift >= 32 {
			return sign
		}
		r := m >> shift
		rem := m & (1<<shift - 1)
		half := uint32(1) << (shift - 1)
		if rem > half || (rem == half && r&1 != 0) {
			r++
		}
		return sign | uint16(r)
	}
	r := uint32(e)<<10 | mant>>13
	rem := mant & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && r&1 != 0) {
		r++ // may carry into the exponent, up to 0x7c00 = Inf: correct
	}
	return sign | uint16(r)
}

// BF16ToFP32 converts a bfloat16, given by its bits, to float32 exactly.
func BF16ToFP32(h uint16) float32 {
	return math.Float32frombits(uint32(h) << 16)
}

// FP32ToBF16 converts f to bfloat16 as ggml_compute_fp32_to_bf16 does: round
// to nearest even on the upper 16 bits; NaNs are truncated and forced quiet.
func FP32ToBF16(f float32) uint16 {
	x := math.Float32bits(f)
	if x&0x7fffffff > 0x7f800000 {
		return uint16(x>>16) | 0x40
	}
	return uint16((x + 0x7fff + (x>>16)&1) >> 16)
}

// fp16Table holds FP16ToFP32 for every half, for the hot loops.
var fp16Table = func() *[1 << 16]float32 {
	var t [1 << 16]float32
	for i := range t {
		t[i] = FP16ToFP32(uint16(i))
	}
	return &t
}()

// f16 returns the float32 value of the little-endian half at b[0:2].
func f16(b []byte) float32 {
	return fp16Table[uint16(b[0])|uint16(b[1])<<8]
}
