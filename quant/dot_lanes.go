package quant

import (
	"encoding/binary"
	"math"
)

// This file holds the reference dot products: each reproduces, bit for bit,
// the float operation order of ggml-cpu's x86 AVX2/FMA/F16C vec_dot for its
// type (ggml/src/ggml-cpu/arch/x86/quants.c and vec.cpp, as built by GCC
// with -ffp-contract=fast, so a source mul+add is one FMA). Integer partial
// sums are exact whatever the order; what matters, and what is emulated, is
// which elements land in which of the 8 float lanes of a __m256, when each
// lane is rounded, and the order of the horizontal sum.

// fma32 returns a*b+c rounded once to float32, as vfmadd does.
//
// a*b is exact in float64; the sum is taken in float64 with its rounding
// error recovered (TwoSum) and folded in by rounding to odd, so the final
// conversion to float32 rounds once.
func fma32(a, b, c float32) float32 {
	p := float64(a) * float64(b) // exact: 24-bit by 24-bit significands
	cc := float64(c)
	s := float64(p) + cc // the conversion keeps arm64's compiler from fusing (p is exact either way)
	bb := s - p
	e := (p - (s - bb)) + (cc - bb)
	if e != 0 {
		if e != e { // an infinite or NaN operand: s is already the IEEE result
			return float32(s)
		}
		bits := math.Float64bits(s)
		if bits&1 == 0 {
			if (e > 0) == (s > 0) {
				bits++
			} else {
				bits--
			}
			s = math.Float64frombits(bits)
		}
	}
	return float32(s)
}

// hsum8 is hsum_float_8 of quants.c (and tinyBLAS's hsum(__m256)): the high
// half added to the low half, then lanes 0+2 and 1+3, then those two.
func hsum8(a *[8]float32) float32 {
	l0, l1, l2, l3 := a[0]+a[4], a[1]+a[5], a[2]+a[6], a[3]+a[7]
	return (l0 + l2) + (l1 + l3)
}

// reduce4x8 is GGML_F32x8_REDUCE over four 8-lane accumulators (vec.cpp's
// f32/f16 dot): s0+s2, s1+s3, then their sum, then high+low 128-bit halves
// and two hadds.
func reduce4x8(s *[4][8]float32) float32 {
	var x [8]float32
	for i := range x {
		x[i] = (s[0][i] + s[2][i]) + (s[1][i] + s[3][i])
	}
	t0, t1, t2, t3 := x[0]+x[4], x[1]+x[5], x[2]+x[6], x[3]+x[7]
	return (t0 + t1) + (t2 + t3)
}

// dotF32 is ggml_vec_dot_f32: 4 accumulators of 8 lanes over steps of 32
// with FMA, reduce4x8, then the leftovers as GCC vectorized them: blocks of
// 8 and then of 4 products (each product rounded, then added in order), and
// the last 1-3 with scalar FMA.
func dotF32(n int, w, x []byte) float32 {
	w, x = w[:4*n], x[:4*n]
	var acc [4][8]float32
	np := n &^ 31
	for i := 0; i < np; i += 32 {
		for j := 0; j < 4; j++ {
			for l := 0; l < 8; l++ {
				o := 4 * (i + 8*j + l)
				acc[j][l] = fma32(f32(w[o:]), f32(x[o:]), acc[j][l])
			}
		}
	}
	sum := reduce4x8(&acc)
	return f32Tail(sum, np, n, w, x)
}

func f32Tail(sum float32, i, n int, w, x []byte) float32 {
	for ; n-i >= 8; i += 8 {
		for l := i; l < i+8; l++ {
			sum += float32(f32(w[4*l:]) * f32(x[4*l:]))
		}
	}
	if n-i >= 4 {
		for l := i; l < i+4; l++ {
			sum += float32(f32(w[4*l:]) * f32(x[4*l:]))
		}
		i += 4
	}
	for ; i < n; i++ {
		sum = fma32(f32(w[4*i:]), f32(x[4*i:]), sum)
	}
	return sum
}

// dotF16 is ggml_vec_dot_f16 (F16C loads, 4x8 FMA accumulators, reduce4x8);
// the leftovers are summed in double, each product rounded to float32.
func dotF16(n int, w, x []byte) float32 {
	w, x = w[:2*n], x[:2*n]
	var acc [4][8]float32
	np := n &^ 31
	for i := 0; i < np; i += 32 {
		for j := 0; j < 4; j++ {
			for l := 0; l < 8; l++ {
				o := 2 * (i + 8*j + l)
				acc[j][l] = fma32(f16(w[o:]), f16(x[o:]), acc[j][l])
			}
		}
	}
	sum := float64(reduce4x8(&acc))
	for i := np; i < n; i++ {
		sum += float64(float32(f16(w[2*i:]) * f16(x[2*i:])))
	}
	return float32(sum)
}

func bf16(b []byte) float32 { return BF16ToFP32(binary.LittleEndian.Uint16(b)) }

// dotBF16 is ggml_vec_dot_bf16's AVX2 branch: four 8-lane accumulators over
// steps of 32 (mul+add, contracted to FMA by GCC), summed (c1+c3)+(c2+c4),
// then hsum8; leftovers in double.
func dotBF16(n int, w, x []byte) float32 {
	w, x = w[:2*n], x[:2*n]
	var c [4][8]float32
	i := 0
	for ; i+32 <= n; i += 32 {
		for j := 0; j < 4; j++ {
			for l := 0; l < 8; l++ {
				o := 2 * (i + 8*j + l)
				c[j][l] = fma32(bf16(w[o:]), bf16(x[o:]), c[j][l])
			}
		}
	}
	var s [8]float32
	for l := range s {
		s[l] = (c[0][l] + c[2][l]) + (c[1][l] + c[3][l])
	}
	sum := float64(hsum8(&s))
	for ; i < n; i++ {
		sum += float64(float32(bf16(w[2*i:]) * bf16(x[2*i:])))
	}
	return float32(sum)
}

// q32Lanes adds the products of one 32-element block into 8 integer lanes
// the way maddubs+madd do: lane L holds elements 4L..4L+3.
func q32Lanes(wv, xv *[32]int32) (s [8]int32) {
	for l := 0; l < 8; l++ {
		s[l] = wv[4*l]*xv[4*l] + wv[4*l+1]*xv[4*l+1] + wv[4*l+2]*xv[4*l+2] + wv[4*l+3]*xv[4*l+3]
	}
	return
}

func q8Vals(q []byte, v *[32]int32) {
	q = q[:32]
	for i, b := range q {
		v[i] = int32(int8(b))
	}
}

// nibbles32 unpacks 16 bytes: low nibbles are elements 0..15, high 16..31.
func nibbles32(qs []byte, v *[32]int32) {
	qs = qs[:16]
	for j, b := range qs {
		v[j] = int32(b & 0xf)
		v[j+16] = int32(b >> 4)
	}
}

// dotQ0 runs the AVX2 loop shared by q4_0/q5_0/q8_0 x q8_0 (and, per
// element, tinyBLAS_Q0_AVX): per block acc = fma(dw*dx, float(lanes), acc),
// then hsum8.
//
// bs selects the weight block (18: q4_0, 22: q5_0, 34: q8_0); a switch
// rather than a function value keeps wv and xv on the stack (they escape
// through an indirect call, which made every row product allocate).
func dotQ0(n int, w, x []byte, bs int) float32 {
	var acc [8]float32
	var wv, xv [32]int32
	for b := 0; b < n/32; b++ {
		wb, xb := w[bs*b:bs*b+bs], x[34*b:34*b+34]
		switch bs {
		case 18:
			unpackQ4_0(wb, &wv)
		case 22:
			unpackQ5_0(wb, &wv)
		default:
			unpackQ8_0(wb, &wv)
		}
		q8Vals(xb[2:], &xv)
		d := f16(wb) * f16(xb)
		s := q32Lanes(&wv, &xv)
		for l := range acc {
			acc[l] = fma32(d, float32(s[l]), acc[l])
		}
	}
	return hsum8(&acc)
}

func unpackQ4_0(wb []byte, v *[32]int32) {
	nibbles32(wb[2:18], v)
	for i := range v {
		v[i] -= 8
	}
}

func unpackQ5_0(wb []byte, v *[32]int32) {
	qh := binary.LittleEndian.Uint32(wb[2:])
	nibbles32(wb[6:22], v)
	for i := range v {
		v[i] |= int32(qh>>i&1) << 4
		v[i] -= 16
	}
}

func unpackQ8_0(wb []byte, v *[32]int32) { q8Vals(wb[2:34], v) }

func dotQ4_0(n int, w, x []byte) float32 { return dotQ0(n, w, x, 18) }
func dotQ5_0(n int, w, x []byte) float32 { return dotQ0(n, w, x, 22) }
func dotQ8_0(n int, w, x []byte) float32 { return dotQ0(n, w, x, 34) }

// dotQ1 is the AVX2 q4_1/q5_1 x q8_1 loop: lanes scaled by dw*dx with FMA
// into 8 lanes, and summs = fma(m_w, s_x, summs) in scalar; hsum8 + summs.
// q5_1 multiplies as fma(lanes, dx*dy) — the same value.
//
// bs selects the weight block (20: q4_1, 24: q5_1), by a switch for the
// reason dotQ0 gives.
func dotQ1(n int, w, x []byte, bs int) float32 {
	var acc [8]float32
	var wv, xv [32]int32
	var summs float32
	for b := 0; b < n/32; b++ {
		wb, xb := w[bs*b:bs*b+bs], x[36*b:36*b+36]
		summs = fma32(f16(wb[2:]), f16(xb[2:]), summs)
		if bs == 20 {
			unpackQ4_1(wb, &wv)
		} else {
			unpackQ5_1(wb, &wv)
		}
		q8Vals(xb[4:], &xv)
		d := f16(wb) * f16(xb)
		s := q32Lanes(&wv, &xv)
		for l := range acc {
			acc[l] = fma32(d, float32(s[l]), acc[l])
		}
	}
	return hsum8(&acc) + summs
}

func unpackQ4_1(wb []byte, v *[32]int32) { nibbles32(wb[4:20], v) }

func unpackQ5_1(wb []byte, v *[32]int32) {
	qh := binary.LittleEndian.Uint32(wb[4:])
	nibbles32(wb[8:24], v)
	for i := range v {
		v[i] |= int32(qh>>i&1) << 4
	}
}

func dotQ4_1(n int, w, x []byte) float32 { return dotQ1(n, w, x, 20) }
func dotQ5_1(n int, w, x []byte) float32 { return dotQ1(n, w, x, 24) }

// Q8_K activation block accessors.
func q8kD(xb []byte) float32 { return f32(xb) }
func q8kBsum(xb []byte, j int) int32 {
	return int32(int16(binary.LittleEndian.Uint16(xb[260+2*j:])))
}

// dotQ2_K is ggml_vec_dot_q2_K_q8_K (AVX2). Per super-block: lane L first
// gets min[2L]*bsum[2L]+min[2L+1]*bsum[2L+1] scaled by dmin = -dx*dmin_w
// (FMA), then the scaled quant sums scaled by d = dx*d_w (FMA). In the
// quant sums, half h and shift step i cover elements 128h+32i+b (b<32);
// lane L takes b = 4L..4L+3 with scale 8h+2i+L/4.
func dotQ2_K(n int, w, x []byte) float32 {
	var acc [8]float32
	for b := 0; b < n/qkK; b++ {
		wb, xb := (*[84]byte)(w[84*b:]), (*[292]byte)(x[292*b:])
		sc := wb[0:16]
		dx := q8kD(xb[:])
		d := dx * f16(wb[80:])
		dmin := -dx * f16(wb[82:])
		for l := 0; l < 8; l++ {
			m := int32(sc[2*l]>>4)*q8kBsum(xb[:], 2*l) + int32(sc[2*l+1]>>4)*q8kBsum(xb[:], 2*l+1)
			acc[l] = fma32(dmin, float32(m), acc[l])
		}
		var s [8]int32
		for h := 0; h < 2; h++ {
			qq := (*[32]byte)(wb[16+32*h:])
			for i := 0; i < 4; i++ {
				q8 := (*[32]byte)(xb[4+128*h+32*i:])
				for l := 0; l < 8; l++ {
					scl := int32(sc[8*h+2*i+l/4] & 0xf)
					var p int32
					for e := 4 * l; e < 4*l+4; e++ {
						p += int32(qq[e]>>(2*i)&3) * int32(int8(q8[e]))
					}
					s[l] += scl * p
				}
			}
		}
		for l := range acc {
			acc[l] = fma32(d, float32(s[l]), acc[l])
		}
	}
	return hsum8(&acc)
}

// dotQ3_K is ggml_vec_dot_q3_K_q8_K (AVX2): lanes as in dotQ2_K, values
// q - 4*(high bit clear), scales minus 32; acc = fma(dx*d_w, lanes, acc).
func dotQ3_K(n int, w, x []byte) float32 {
	var scales [16]int8
	var acc [8]float32
	for b := 0; b < n/qkK; b++ {
		wb, xb := (*[110]byte)(w[110*b:]), (*[292]byte)(x[292*b:])
		hm := (*[32]byte)(wb[0:32])
		q3kScales(wb[96:108], &scales)
		d := q8kD(xb[:]) * f16(wb[108:])
		var s [8]int32
		for h := 0; h < 2; h++ {
			qq := (*[32]byte)(wb[32+32*h:])
			for i := 0; i < 4; i++ {
				q8 := (*[32]byte)(xb[4+128*h+32*i:])
				bit := uint(4*h + i)
				for l := 0; l < 8; l++ {
					scl := int32(scales[8*h+2*i+l/4]) - 32
					var p int32
					for e := 4 * l; e < 4*l+4; e++ {
						v := int32(qq[e]>>(2*i)&3) - 4 + 4*int32(hm[e]>>bit&1)
						p += v * int32(int8(q8[e]))
					}
					s[l] += scl * p
				}
			}
		}
		for l := range acc {
			acc[l] = fma32(d, float32(s[l]), acc[l])
		}
	}
	return hsum8(&acc)
}

// k4Lanes returns the 8 integer lanes of a Q4_K/Q5_K super-block as the
// AVX2 loop forms them: for each 64-element group j, lane L takes bytes
// 4L..4L+3 of the 32 low-nibble values (scale 2j) and of the 32 high-nibble
// values (scale 2j+1). hi5 (nil for Q4_K) holds the Q5_K high bits.
func k4Lanes(scales, qs, hi5 []byte, q8 []byte) (s [8]int32) {
	for j := 0; j < 4; j++ {
		sc1, _ := scaleMinK4(2*j, scales)
		sc2, _ := scaleMinK4(2*j+1, scales)
		qq := (*[32]byte)(qs[32*j:])
		lo, hi := (*[32]byte)(q8[64*j:]), (*[32]byte)(q8[64*j+32:])
		for l := 0; l < 8; l++ {
			var p1, p2 int32
			for e := 4 * l; e < 4*l+4; e++ {
				v1, v2 := int32(qq[e]&0xf), int32(qq[e]>>4)
				if hi5 != nil {
					v1 |= int32(hi5[e]>>(2*j)&1) << 4
					v2 |= int32(hi5[e]>>(2*j+1)&1) << 4
				}
				p1 += v1 * int32(int8(lo[e]))
				p2 += v2 * int32(int8(hi[e]))
			}
			s[l] += int32(sc1)*p1 + int32(sc2)*p2
		}
	}
	return
}

// k4Mins returns min_{2p}*q8s_{2p} + min_{2p+1}*q8s_{2p+1} for p < 4, with
// q8s_k = bsum_{2k} + bsum_{2k+1} (the _mm_hadd_epi16 + _mm_madd_epi16).
func k4Mins(scales, xb []byte) (m [4]int32) {
	for p := 0; p < 4; p++ {
		for k := 2 * p; k < 2*p+2; k++ {
			_, mn := scaleMinK4(k, scales)
			m[p] += int32(mn) * (q8kBsum(xb, 2*k) + q8kBsum(xb, 2*k+1))
		}
	}
	return
}

// dotQ4_K is ggml_vec_dot_q4_K_q8_K (AVX2): acc = fma(d, lanes, acc) over
// 8 lanes, the mins in a separate 4-lane acc_m = fma(dmin, mins, acc_m);
// result hsum8(acc) + ((m0+m2)+(m1+m3)).
func dotQ4_K(n int, w, x []byte) float32 {
	var acc [8]float32
	var accm [4]float32
	for b := 0; b < n/qkK; b++ {
		wb, xb := w[144*b:144*b+144], x[292*b:292*b+292]
		dx := q8kD(xb)
		d := dx * f16(wb)
		dmin := -dx * f16(wb[2:])
		m := k4Mins(wb[4:16], xb)
		for p := range accm {
			accm[p] = fma32(dmin, float32(m[p]), accm[p])
		}
		s := k4Lanes(wb[4:16], wb[16:144], nil, xb[4:260])
		for l := range acc {
			acc[l] = fma32(d, float32(s[l]), acc[l])
		}
	}
	return hsum8(&acc) + ((accm[0] + accm[2]) + (accm[1] + accm[3]))
}

// dotQ5_K is ggml_vec_dot_q5_K_q8_K (AVX2): as dotQ4_K but the mins are
// summed as one integer and folded into a scalar summs = fma(float(mins),
// dmin, summs); result hsum8(acc) + summs.
func dotQ5_K(n int, w, x []byte) float32 {
	var acc [8]float32
	var summs float32
	for b := 0; b < n/qkK; b++ {
		wb, xb := w[176*b:176*b+176], x[292*b:292*b+292]
		dx := q8kD(xb)
		d := dx * f16(wb)
		dmin := -dx * f16(wb[2:])
		m := k4Mins(wb[4:16], xb)
		summs = fma32(float32(m[0]+m[1]+m[2]+m[3]), dmin, summs)
		s := k4Lanes(wb[4:16], wb[48:176], wb[16:48], xb[4:260])
		for l := range acc {
			acc[l] = fma32(d, float32(s[l]), acc[l])
		}
	}
	return hsum8(&acc) + summs
}

// dotQ6_K is ggml_vec_dot_q6_K_q8_K (AVX2): unsigned 6-bit values in lanes
// as in dotQ2_K, minus 32*(bsum[2L]*sc[2L] + bsum[2L+1]*sc[2L+1]) per lane;
// acc = fma(dx*d_w, lanes, acc).
func dotQ6_K(n int, w, x []byte) float32 {
	var acc [8]float32
	for b := 0; b < n/qkK; b++ {
		wb, xb := w[210*b:210*b+210], x[292*b:292*b+292]
		sc := wb[192:208]
		d := q8kD(xb) * f16(wb[208:])
		var s [8]int32
		for h := 0; h < 2; h++ {
			ql, qh := (*[64]byte)(wb[64*h:]), (*[32]byte)(wb[128+32*h:])
			for i := 0; i < 4; i++ {
				q8 := (*[32]byte)(xb[4+128*h+32*i:])
				for l := 0; l < 8; l++ {
					scl := int32(int8(sc[8*h+2*i+l/4]))
					var p int32
					for e := 4 * l; e < 4*l+4; e++ {
						var v int32
						switch i {
						case 0:
							v = int32(ql[e]&0xf | (qh[e]&3)<<4)
						case 1:
							v = int32(ql[e+32]&0xf | (qh[e]>>2&3)<<4)
						case 2:
							v = int32(ql[e]>>4 | (qh[e]>>4&3)<<4)
						default:
							v = int32(ql[e+32]>>4 | (qh[e]>>6)<<4)
						}
						p += v * int32(int8(q8[e]))
					}
					s[l] += scl * p
				}
			}
		}
		for l := 0; l < 8; l++ {
			s[l] -= 32 * (q8kBsum(xb, 2*l)*int32(int8(sc[2*l])) + q8kBsum(xb, 2*l+1)*int32(int8(sc[2*l+1])))
		}
		for l := range acc {
			acc[l] = fma32(d, float32(s[l]), acc[l])
		}
	}
	return hsum8(&acc)
}

// FMA32 returns a*b+c with one rounding to float32 (vfmadd231ss).
func FMA32(a, b, c float32) float32 { return fma32(a, b, c) }

// DotF32Tail adds to sum, the lanes' sum of the first i elements of F32
// rows w and x, elements i to n as ggml_vec_dot_f32's leftover loop does
// (quant.VecDot for F32 is DotF32Tail of the lanes' sum).
func DotF32Tail(sum float32, i, n int, w, x []byte) float32 { return f32Tail(sum, i, n, w, x) }

// Hsum8 is ggml's hsum_float_8 of 8 float lanes.
func Hsum8(a *[8]float32) float32 { return hsum8(a) }

// DotF16 is ggml_vec_dot_f16 of a float16 vector a and a vector b of
// float16 values held as float32 (each exactly a half), as dotF16.
func DotF16(a []uint16, b []float32) float32 {
	n := len(a)
	b = b[:n]
	var acc [4][8]float32
	np := n &^ 31
	for i := 0; i < np; i += 32 {
		for j := 0; j < 4; j++ {
			for l := 0; l < 8; l++ {
				o := i + 8*j + l
				acc[j][l] = fma32(fp16Table[a[o]], b[o], acc[j][l])
			}
		}
	}
	sum := float64(reduce4x8(&acc))
	for i := np; i < n; i++ {
		sum += float64(float32(fp16Table[a[i]] * b[i]))
	}
	return float32(sum)
}
