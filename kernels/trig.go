package kernels

import "math"

// Sinf and Cosf are the sinf and cosf of the GNU C library (2.28 and later:
// the algorithm of ARM's optimized-routines, in its x86-64 FMA build) that
// ggml-cpu calls for rope's cos/sin cache. They are not correctly rounded
// (a few inputs in 10^4 differ from the correctly rounded result by one
// ulp), so they are reproduced operation for operation: the float argument
// is widened to float64, reduced to [-pi/4, pi/4] (a single multiply-
// subtract below 120, a 4/pi table in fixed point above), and a sine or
// cosine polynomial in float64 with fused multiply-adds gives the result.
// kernels/testdata/trig.golden holds glibc's own results on many inputs.

// Sinf is glibc's sinf.
func Sinf(y float32) float32 {
	x := float64(y)
	top := abstop12(y)
	switch {
	case top < abstop12(pio4f):
		if top < abstop12(0x1p-12) {
			return y
		}
		return sinfPoly(x, x*x, &sincosfTab[0], 0)
	case top < abstop12(120):
		x, n := reduceFast(x)
		s := sincosfSign[n&3]
		p := &sincosfTab[0]
		if n&2 != 0 {
			p = &sincosfTab[1]
		}
		return sinfPoly(x*s, x*x, p, n)
	case top < abstop12(float32(math.Inf(1))):
		xi := math.Float32bits(y)
		sign := int(xi >> 31)
		x, n := reduceLarge(xi)
		s := sincosfSign[(n+sign)&3]
		p := &sincosfTab[0]
		if (n+sign)&2 != 0 {
			p = &sincosfTab[1]
		}
		return sinfPoly(x*s, x*x, p, n)
	}
	return float32(math.NaN())
}

// Cosf is glibc's cosf.
func Cosf(y float32) float32 {
	x := float64(y)
	top := abstop12(y)
	switch {
	case top < abstop12(pio4f):
		if top < abstop12(0x1p-12) {
			return 1
		}
		return sinfPoly(x, x*x, &sincosfTab[0], 1)
	case top < abstop12(120):
		x, n := reduceFast(x)
		s := sincosfSign[n&3]
		p := &sincosfTab[0]
		if n&2 != 0 {
			p = &sincosfTab[1]
		}
		return sinfPoly(x*s, x*x, p, n^1)
	case top < abstop12(float32(math.Inf(1))):
		xi := math.Float32bits(y)
		sign := int(xi >> 31)
		x, n := reduceLarge(xi)
		s := sincosfSign[(n+sign)&3]
		p := &sincosfTab[0]
		if (n+sign)&2 != 0 {
			p = &sincosfTab[1]
		}
		return sinfPoly(x*s, x*x, p, n^1)
	}
	return float32(math.NaN())
}

const pio4f float32 = 0x1.921FB6p-1

// abstop12 is the exponent field (and top mantissa bits) of |x|.
func abstop12(x float32) uint32 { return math.Float32bits(x) >> 20 & 0x7ff }

// sincosfPoly: c0..c4 the cosine polynomial in x², s1..s3 the sine
// polynomial's odd terms; the second table negates the cosine.
type sincosfPoly struct{ c0, c1, c2, c3, c4, s1, s2, s3 float64 }

var sincosfSign = [4]float64{1, -1, -1, 1}

var sincosfTab = [2]sincosfPoly{
	{1, -0x1.ffffffd0c621cp-2, 0x1.55553e1068f19p-5, -0x1.6c087e89a359dp-10, 0x1.99343027bf8c3p-16,
		-0x1.555545995a603p-3, 0x1.1107605230bc4p-7, -0x1.994eb3774cf24p-13},
	{-1, 0x1.ffffffd0c621cp-2, -0x1.55553e1068f19p-5, 0x1.6c087e89a359dp-10, -0x1.99343027bf8c3p-16,
		-0x1.555545995a603p-3, 0x1.1107605230bc4p-7, -0x1.994eb3774cf24p-13},
}

// sinfPoly is sin(x) for even n, cos(x) (negated by the table) for odd n,
// with x2 = x².
func sinfPoly(x, x2 float64, p *sincosfPoly, n int) float32 {
	if n&1 == 0 {
		x3 := x * x2
		s1 := math.FMA(x2, p.s3, p.s2)
		x7 := x3 * x2
		s := math.FMA(x3, p.s1, x)
		return float32(math.FMA(x7, s1, s))
	}
	x4 := x2 * x2
	c2 := math.FMA(x2, p.c4, p.c3)
	c1 := math.FMA(x2, p.c1, p.c0)
	x6 := x4 * x2
	c := math.FMA(x4, p.c2, c1)
	return float32(math.FMA(x6, c2, c))
}

// reduceFast reduces |x| < 120 to [-pi/4, pi/4] and the quadrant n, with
// 2/pi prescaled by 2^24 so the quadrant lands in bits 24..31.
func reduceFast(x float64) (float64, int) {
	const (
		hpiInv = 0x1.45F306DC9C883p+23
		hpi    = 0x1.921FB54442D18p0
	)
	r := x * hpiInv
	n := (int32(r) + 0x800000) >> 24
	return math.FMA(-float64(n), hpi, x), int(n)
}

// invPio4 is 4/pi to 192 bits, 8 new bits per entry.
var invPio4 = [24]uint32{
	0xa2, 0xa2f9, 0xa2f983, 0xa2f9836e,
	0xf9836e4e, 0x836e4e44, 0x6e4e4415, 0x4e441529,
	0x441529fc, 0x1529fc27, 0x29fc2757, 0xfc2757d1,
	0x2757d1f5, 0x57d1f534, 0xd1f534dd, 0xf534ddc0,
	0x34ddc0db, 0xddc0db62, 0xc0db6295, 0xdb629599,
	0x6295993c, 0x95993c43, 0x993c4390, 0x3c439041,
}

// reduceLarge reduces the float with bits xi (|x| >= 120, sign ignored)
// with a 32x96-bit fixed-point product by 4/pi.
func reduceLarge(xi uint32) (float64, int) {
	const pi63 = 0x1.921FB54442D18p-62 // 2pi * 2^-64
	arr := invPio4[(xi>>26)&15:]
	shift := (xi >> 23) & 7
	xi = (xi&0xffffff | 0x800000) << shift
	res0 := uint64(xi * arr[0])
	res1 := uint64(xi) * uint64(arr[4])
	res2 := uint64(xi) * uint64(arr[8])
	res0 = res2>>32 | res0<<32
	res0 += res1
	n := (res0 + 1<<61) >> 62
	res0 -= n << 62
	return float64(int64(res0)) * pi63, int(n)
}

// Powf is glibc's powf (the same family and FMA build as Sinf), which
// ggml-cpu calls for rope's theta_scale = powf(base, -2/n_dims): log2(x)
// from a 16-entry table and a degree-5 polynomial, times y, then 2^(y·log2 x)
// from the 32-entry table Expf uses and a cubic, all in float64. It is
// within 0.82 ulp, so about one result in 10^3 is not the correctly rounded
// one. Powf follows glibc for finite x > 0 and finite nonzero y; other
// inputs (zero, negative, infinite or NaN arguments) take math.Pow, whose
// results agree with the C standard's special cases.
func Powf(x, y float32) float32 {
	ix, iy := math.Float32bits(x), math.Float32bits(y)
	if ix-0x00800000 >= 0x7f800000-0x00800000 || 2*iy-1 >= 2*0x7f800000-1 {
		if ix == 0 || ix >= 0x7f800000 || 2*iy-1 >= 2*0x7f800000-1 {
			return float32(math.Pow(float64(x), float64(y)))
		}
		// Positive subnormal x: normalized, with a negative biased exponent.
		ix = math.Float32bits(x*0x1p23)&0x7fffffff - 23<<23
	}
	logx := powfLog2(ix)
	ylogx := float64(y) * logx
	if math.Float64bits(ylogx)>>47&0xffff >= math.Float64bits(126.0)>>47 {
		switch {
		case ylogx > 0x1.fffffffd1d571p+6:
			return float32(math.Inf(1))
		case ylogx <= -150.0:
			return 0
		case ylogx < -149.0:
			return 0x1p-149 // glibc's __math_may_uflowf
		}
	}
	return float32(powfExp2(ylogx))
}

// powfLog2 is log2 of the positive normal float with bits ix.
func powfLog2(ix uint32) float64 {
	const off = 0x3f330000
	tmp := ix - off
	i := (tmp >> (23 - 4)) % 16
	top := tmp & 0xff800000
	iz := ix - top
	k := int32(top) >> 23
	invc, logc := powfLog2Tab[i][0], powfLog2Tab[i][1]
	z := float64(math.Float32frombits(iz))
	r := math.FMA(z, invc, -1)
	y0 := logc + float64(k)
	r2 := r * r
	y := math.FMA(powfLog2Poly[0], r, powfLog2Poly[1])
	p := math.FMA(powfLog2Poly[2], r, powfLog2Poly[3])
	r4 := r2 * r2
	q := math.FMA(powfLog2Poly[4], r, y0)
	q = math.FMA(p, r2, q)
	return math.FMA(y, r4, q)
}

// powfExp2 is 2^xd for xd in [-150, 128].
func powfExp2(xd float64) float64 {
	const (
		shift = 0x1.8p+52 / 32
		c0    = 0x1.c6af84b912394p-5
		c1    = 0x1.ebfce50fac4f3p-3
		c2    = 0x1.62e42ff0c52d6p-1
	)
	kd := xd + shift
	ki := math.Float64bits(kd)
	kd -= shift
	r := xd - kd
	t := expfTab[ki%32] + ki<<(52-5)
	s := math.Float64frombits(t)
	z := math.FMA(c0, r, c1)
	r2 := r * r
	y := math.FMA(c2, r, 1)
	y = math.FMA(z, r2, y)
	return y * s
}

// powfLog2Tab[i] = {1/c, log2(c)} for the 16 subintervals of [0x3f330000, 2·0x3f330000).
var powfLog2Tab = [16][2]float64{
	{0x1.661ec79f8f3bep+0, -0x1.efec65b963019p-2},
	{0x1.571ed4aaf883dp+0, -0x1.b0b6832d4fca4p-2},
	{0x1.49539f0f010bp+0, -0x1.7418b0a1fb77bp-2},
	{0x1.3c995b0b80385p+0, -0x1.39de91a6dcf7bp-2},
	{0x1.30d190c8864a5p+0, -0x1.01d9bf3f2b631p-2},
	{0x1.25e227b0b8eap+0, -0x1.97c1d1b3b7afp-3},
	{0x1.1bb4a4a1a343fp+0, -0x1.2f9e393af3c9fp-3},
	{0x1.12358f08ae5bap+0, -0x1.960cbbf788d5cp-4},
	{0x1.0953f419900a7p+0, -0x1.a6f9db6475fcep-5},
	{0x1p+0, 0x0p+0},
	{0x1.e608cfd9a47acp-1, 0x1.338ca9f24f53dp-4},
	{0x1.ca4b31f026aap-1, 0x1.476a9543891bap-3},
	{0x1.b2036576afce6p-1, 0x1.e840b4ac4e4d2p-3},
	{0x1.9c2d163a1aa2dp-1, 0x1.40645f0c6651cp-2},
	{0x1.886e6037841edp-1, 0x1.88e9c2c1b9ff8p-2},
	{0x1.767dcf5534862p-1, 0x1.ce0a44eb17bccp-2},
}

var powfLog2Poly = [5]float64{
	0x1.27616c9496e0bp-2, -0x1.71969a075c67ap-2,
	0x1.ec70a6ca7baddp-2, -0x1.7154748bef6c8p-1,
	0x1.71547652ab82bp0,
}
