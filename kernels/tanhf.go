package kernels

import "math"

// Tanhf is the tanhf of the GNU C library on x86-64 (its generic build, the
// same in 2.27 through 2.40), which ggml-cpu calls for the soft cap of
// attention scores (flash attention's logit_softcap) and for GGML_OP_TANH:
// for |x| < 22, with t = expm1f(2|x|) when |x| >= 1, tanh|x| = 1 - 2/(t+2),
// otherwise, with t = expm1f(-2|x|), tanh|x| = -t/(t+2); all in float32
// with every operation rounded (no fused multiply-adds). It is not always
// the correctly rounded result, so it is reproduced operation for
// operation; testdata/tanhf.golden holds glibc's results to compare.
func Tanhf(x float32) float32 {
	u := math.Float32bits(x)
	ix := u & 0x7fffffff
	var z float32
	switch {
	case ix >= 0x7f800000: // inf or nan
		if u>>31 == 0 {
			return 1/x + 1
		}
		return 1/x - 1
	case ix == 0:
		return x
	case ix < 0x24000000: // |x| < 2^-55: tanh x = x (1 + x)
		return x * float32(1+x)
	case ix >= 0x41b00000: // |x| >= 22: ±1
		z = 1
	case ix >= 0x3f800000: // 1 <= |x| < 22
		a := math.Float32frombits(ix)
		t := expm1f(a + a)
		z = 1 - float32(2/float32(t+2))
	default: // 2^-55 <= |x| < 1
		a := math.Float32frombits(ix)
		t := expm1f(-2 * a)
		z = -t / float32(t+2)
	}
	if u>>31 != 0 {
		return -z
	}
	return z
}

// expm1f is glibc's expm1f (x86-64, generic build): e^x - 1 for float32 by
// the classic argument reduction x = k·ln2 + r (ln2 split in a high part
// exact in products with k and a low part, with the reduction's rounding
// error c carried), a degree-5 rational correction in r²/2, and 2^k put
// into the exponent bits. Every step is a rounded float32 operation; the
// explicit float32 conversions keep Go from fusing any of them.
func expm1f(x float32) float32 {
	const (
		ln2Hi  = float32(6.9313812256e-01) // 0x3f317180
		ln2Lo  = float32(9.0580006145e-06) // 0x3717f7d1
		invLn2 = float32(1.4426950216e+00) // 0x3fb8aa3b
		q1     = float32(-3.3333335072e-02)
		q2     = float32(1.5873016091e-03)
		q3     = float32(-7.9365076090e-05)
		q4     = float32(4.0082177293e-06)
		q5     = float32(-2.0109921195e-07)
	)
	u := math.Float32bits(x)
	neg := u>>31 != 0
	hx := u & 0x7fffffff
	if hx >= 0x4195b844 { // |x| >= 27·ln2
		if hx >= 0x42b17218 { // |x| >= 88.72..., inf or nan
			switch {
			case hx > 0x7f800000:
				return x + x
			case hx == 0x7f800000:
				if neg {
					return -1
				}
				return x
			case x > 8.8721679688e+01:
				return float32(math.Inf(1))
			}
		}
		if neg {
			return -1
		}
	}
	var hi, lo, c float32
	k := int32(0)
	switch {
	case hx > 0x3eb17218: // |x| > ln2/2: reduce
		if hx < 0x3f851592 { // and |x| < 1.5·ln2: k = ±1
			if neg {
				hi, lo, k = x+ln2Hi, -ln2Lo, -1
			} else {
				hi, lo, k = x-ln2Hi, ln2Lo, 1
			}
		} else {
			half := float32(0.5)
			if neg {
				half = -0.5
			}
			k = int32(float32(float32(invLn2*x) + half)) // truncation, as C's (int) conversion
			t := float32(k)
			hi = x - float32(t*ln2Hi)
			lo = t * ln2Lo
		}
		x = hi - lo
		c = float32(hi-x) - lo
	case hx < 0x33000000: // |x| < 2^-25
		return x
	}
	hfx := 0.5 * x
	hxs := float32(x * hfx)
	r1 := float32(q5 * hxs)
	r1 = float32(float32(r1+q4) * hxs)
	r1 = float32(float32(r1+q3) * hxs)
	r1 = float32(float32(r1+q2) * hxs)
	r1 = float32(float32(r1+q1) * hxs)
	r1 = 1 + r1
	t := 3 - float32(r1*hfx)
	e := float32(float32(float32(r1-t)/float32(6-float32(x*t))) * hxs)
	if k == 0 {
		return x - float32(float32(x*e)-hxs)
	}
	e = float32(x*float32(e-c)) - c
	e -= hxs
	switch {
	case k == -1:
		return float32(0.5*float32(x-e)) - 0.5
	case k == 1:
		if x < -0.25 {
			return -2 * float32(e-float32(x+0.5))
		}
		return 1 + float32(2*float32(x-e))
	case k <= -2 || k > 56: // e^x - 1 = 2^k·(1 - (e - x)) - 1
		y := 1 - float32(e-x)
		y = math.Float32frombits(math.Float32bits(y) + uint32(k)<<23)
		return y - 1
	case k < 23: // 2^k·((1 - 2^-k) - (e - x))
		t := math.Float32frombits(0x3f800000 - 0x1000000>>uint(k))
		y := t - float32(e-x)
		return math.Float32frombits(math.Float32bits(y) + uint32(k)<<23)
	default: // 2^k·((x - (e + 2^-k)) + 1)
		t := math.Float32frombits(uint32(0x7f-k) << 23)
		y := x - float32(e+t)
		y++
		return math.Float32frombits(math.Float32bits(y) + uint32(k)<<23)
	}
}
