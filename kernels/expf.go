package kernels

import "math"

// Expf is the expf of the GNU C library (2.27 and later, the algorithm of
// ARM's optimized-routines, in its x86-64 FMA build) that ggml-cpu calls in
// its flash-attention softmax: not always the correctly rounded result
// (about one input in 10^4 differs by one ulp), so it is reproduced here
// operation for operation: x·N/ln2 = k + r with N = 32, 2^(k/N) from a
// table, a cubic in r, all in float64 with fused multiply-adds.
func Expf(x float32) float32 {
	abstop := math.Float32bits(x) >> 20 & 0x7ff
	if abstop >= 0x42b { // |x| >= 88, inf or nan
		switch {
		case math.Float32bits(x) == 0xff800000:
			return 0
		case abstop >= 0x7f8:
			return x + x
		case x > 0x1.62e42ep6:
			return float32(math.Inf(1))
		case x < -0x1.9fe368p6:
			return 0
		}
	}
	const (
		n       = 32
		invLn2N = 0x1.71547652b82fep+0 * n
		shift   = 0x1.8p+52
		c0      = 0x1.c6af84b912394p-5 / n / n / n
		c1      = 0x1.ebfce50fac4f3p-3 / n / n
		c2      = 0x1.62e42ff0c52d6p-1 / n
	)
	// The FMA build contracts z = InvLn2N·xd into both uses: the
	// rounding shift and the reduced argument are each one fused
	// multiply-add, z itself is never rounded.
	xd := float64(x)
	kd := math.FMA(invLn2N, xd, shift)
	ki := math.Float64bits(kd)
	kd -= shift
	r := math.FMA(invLn2N, xd, -kd)
	t := expfTab[ki%n] + ki<<(52-5)
	s := math.Float64frombits(t)
	zz := math.FMA(c0, r, c1)
	r2 := r * r
	y := math.FMA(c2, r, 1)
	y = math.FMA(zz, r2, y)
	y = y * s
	return float32(y)
}

// expfTab[i] = bits(2^(i/32)) - i<<47.
var expfTab = [32]uint64{
	0x3ff0000000000000, 0x3fefd9b0d3158574, 0x3fefb5586cf9890f, 0x3fef9301d0125b51,
	0x3fef72b83c7d517b, 0x3fef54873168b9aa, 0x3fef387a6e756238, 0x3fef1e9df51fdee1,
	0x3fef06fe0a31b715, 0x3feef1a7373aa9cb, 0x3feedea64c123422, 0x3feece086061892d,
	0x3feebfdad5362a27, 0x3feeb42b569d4f82, 0x3feeab07dd485429, 0x3feea47eb03a5585,
	0x3feea09e667f3bcd, 0x3fee9f75e8ec5f74, 0x3feea11473eb0187, 0x3feea589994cce13,
	0x3feeace5422aa0db, 0x3feeb737b0cdc5e5, 0x3feec49182a3f090, 0x3feed503b23e255d,
	0x3feee89f995ad3ad, 0x3feeff76f2fb5e47, 0x3fef199bdd85529c, 0x3fef3720dcef9069,
	0x3fef5818dcfba487, 0x3fef7c97337b9b5f, 0x3fefa4afa2a490da, 0x3fefd0765b6e4540,
}

// expfVecGeneric is expfVec element by element: dst[i] = Expf(src[i]) for
// i < len(src).
func expfVecGeneric(dst, src []float32) {
	dst = dst[:len(src)]
	for i, x := range src {
		dst[i] = Expf(x)
	}
}
