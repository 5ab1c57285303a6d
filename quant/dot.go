package quant

import (
	"encoding/binary"
	"math"

	"github.com/hearthlm/hearth/gguf"
)

// RowBytes returns the bytes taken by n elements of type t, or -1 if t is
// unknown or n is negative or not a multiple of t's block size.
func RowBytes(t gguf.Type, n int) int {
	bs := t.BlockSize()
	if bs == 0 || n < 0 || n%bs != 0 {
		return -1
	}
	return n / bs * t.TypeSize()
}

// VecDotType returns the type ggml-cpu converts activations to before a dot
// product with weights of type t (vec_dot_type in type_traits_cpu):
// Q4_0, Q5_0, Q8_0 (and IQ4_NL, MXFP4) pair with Q8_0; Q4_1, Q5_1, Q8_1
// with Q8_1; the K-quants and the IQ/TQ types with Q8_K; F32, F16 and BF16
// with themselves. For any other type it returns t.
func VecDotType(t gguf.Type) gguf.Type {
	switch t {
	case gguf.TypeQ4_0, gguf.TypeQ5_0, gguf.TypeQ8_0, gguf.TypeIQ4_NL, gguf.TypeMXFP4:
		return gguf.TypeQ8_0
	case gguf.TypeQ4_1, gguf.TypeQ5_1, gguf.TypeQ8_1:
		return gguf.TypeQ8_1
	case gguf.TypeQ2_K, gguf.TypeQ3_K, gguf.TypeQ4_K, gguf.TypeQ5_K, gguf.TypeQ6_K,
		gguf.TypeIQ2_XXS, gguf.TypeIQ2_XS, gguf.TypeIQ2_S, gguf.TypeIQ3_XXS, gguf.TypeIQ3_S,
		gguf.TypeIQ1_S, gguf.TypeIQ1_M, gguf.TypeIQ4_XS, gguf.TypeTQ1_0, gguf.TypeTQ2_0:
		return gguf.TypeQ8_K
	}
	return t
}

// VecDot returns the dot product of one weight row w of type t and n elements
// with one activation row x already quantized to VecDotType(t), computed as
// ggml's vec_dot does: exact integer sums per block (or sub-block), then
// per-block float scaling. Supported t: F32, F16, BF16, Q4_0, Q4_1, Q5_0,
// Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K. n must be a multiple of t's
// block size and w, x must hold n elements; otherwise VecDot panics.
func VecDot(t gguf.Type, n int, w []byte, x []byte) float32 {
	switch t {
	case gguf.TypeF32:
		return dotF32(n, w, x)
	case gguf.TypeF16:
		return dotF16(n, w, x)
	case gguf.TypeBF16:
		return dotBF16(n, w, x)
	case gguf.TypeQ4_0:
		return dotQ4_0(n, w, x)
	case gguf.TypeQ4_1:
		return dotQ4_1(n, w, x)
	case gguf.TypeQ5_0:
		return dotQ5_0(n, w, x)
	case gguf.TypeQ5_1:
		return dotQ5_1(n, w, x)
	case gguf.TypeQ8_0:
		return dotQ8_0(n, w, x)
	case gguf.TypeQ2_K:
		return dotQ2_K(n, w, x)
	case gguf.TypeQ3_K:
		return dotQ3_K(n, w, x)
	case gguf.TypeQ4_K:
		return dotQ4_K(n, w, x)
	case gguf.TypeQ5_K:
		return dotQ5_K(n, w, x)
	case gguf.TypeQ6_K:
		return dotQ6_K(n, w, x)
	}
	panic("quant: VecDot: weight type " + t.String() + " not supported")
}

// DotRows sets out[r] = VecDot(t, n, row r of w, x) for r < rows; w holds
// rows consecutive rows of n elements of type t.
func DotRows(t gguf.Type, n int, w []byte, rows int, x []byte, out []float32) {
	rb := RowBytes(t, n)
	if rb < 0 {
		panic("quant: DotRows: bad row length for " + t.String())
	}
	_ = out[:rows]
	for r := 0; r < rows; r++ {
		out[r] = VecDot(t, n, w[r*rb:(r+1)*rb], x)
	}
}

func f32(b []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b)) }

func dotF32(n int, w, x []byte) float32 {
	w, x = w[:4*n], x[:4*n]
	var s float32
	for i := 0; i < 4*n; i += 4 {
		s += f32(w[i:]) * f32(x[i:])
	}
	return s
}

// dotF16 converts both halves to float32 and accumulates in float32, as
// ggml_vec_dot_f16 does (its SIMD lanes are float32).
func dotF16(n int, w, x []byte) float32 {
	w, x = w[:2*n], x[:2*n]
	var s float32
	for i := 0; i < 2*n; i += 2 {
		s += f16(w[i:]) * f16(x[i:])
	}
	return s
}

func dotBF16(n int, w, x []byte) float32 {
	w, x = w[:2*n], x[:2*n]
	var s float32
	for i := 0; i < 2*n; i += 2 {
		s += BF16ToFP32(binary.LittleEndian.Uint16(w[i:])) * BF16ToFP32(binary.LittleEndian.Uint16(x[i:]))
	}
	return s
}

func dotQ4_0(n int, w, x []byte) float32 {
	var sumf float32
	for b := 0; b < n/32; b++ {
		wb, xb := w[18*b:18*b+18], x[34*b:34*b+34]
		qs, q8 := (*[16]byte)(wb[2:]), (*[32]byte)(xb[2:])
		var sumi int32
		for j := 0; j < 16; j++ {
			sumi += (int32(qs[j]&0xf) - 8) * int32(int8(q8[j]))
			sumi += (int32(qs[j]>>4) - 8) * int32(int8(q8[j+16]))
		}
		sumf += float32(sumi) * (f16(wb) * f16(xb))
	}
	return sumf
}

// Q4_1 x Q8_1: d_w*d_x*sum(q*q8) + m_w*s_x, s_x = d_x*sum(q8).
func dotQ4_1(n int, w, x []byte) float32 {
	var sumf float32
	for b := 0; b < n/32; b++ {
		wb, xb := w[20*b:20*b+20], x[36*b:36*b+36]
		qs, q8 := (*[16]byte)(wb[4:]), (*[32]byte)(xb[4:])
		var sumi int32
		for j := 0; j < 16; j++ {
			sumi += int32(qs[j]&0xf) * int32(int8(q8[j]))
			sumi += int32(qs[j]>>4) * int32(int8(q8[j+16]))
		}
		sumf += f16(wb)*f16(xb)*float32(sumi) + f16(wb[2:])*f16(xb[2:])
	}
	return sumf
}

func dotQ5_0(n int, w, x []byte) float32 {
	var sumf float32
	for b := 0; b < n/32; b++ {
		wb, xb := w[22*b:22*b+22], x[34*b:34*b+34]
		qh := binary.LittleEndian.Uint32(wb[2:])
		qs, q8 := (*[16]byte)(wb[6:]), (*[32]byte)(xb[2:])
		var sumi int32
		for j := 0; j < 16; j++ {
			v0 := int32(qs[j]&0xf) | int32(qh>>j&1)<<4 - 16
			v1 := int32(qs[j]>>4) | int32(qh>>(j+16)&1)<<4 - 16
			sumi += v0*int32(int8(q8[j])) + v1*int32(int8(q8[j+16]))
		}
		sumf += f16(wb) * f16(xb) * float32(sumi)
	}
	return sumf
}

func dotQ5_1(n int, w, x []byte) float32 {
	var sumf float32
	for b := 0; b < n/32; b++ {
		wb, xb := w[24*b:24*b+24], x[36*b:36*b+36]
		qh := binary.LittleEndian.Uint32(wb[4:])
		qs, q8 := (*[16]byte)(wb[8:]), (*[32]byte)(xb[4:])
		var sumi int32
		for j := 0; j < 16; j++ {
			v0 := int32(qs[j]&0xf) | int32(qh>>j&1)<<4
			v1 := int32(qs[j]>>4) | int32(qh>>(j+16)&1)<<4
			sumi += v0*int32(int8(q8[j])) + v1*int32(int8(q8[j+16]))
		}
		sumf += f16(wb)*f16(xb)*float32(sumi) + f16(wb[2:])*f16(xb[2:])
	}
	return sumf
}

func dotQ8_0(n int, w, x []byte) float32 {
	var sumf float32
	for b := 0; b < n/32; b++ {
		wb, xb := w[34*b:34*b+34], x[34*b:34*b+34]
		qw, qx := (*[32]byte)(wb[2:]), (*[32]byte)(xb[2:])
		var sumi int32
		for j := 0; j < 32; j++ {
			sumi += int32(int8(qw[j])) * int32(int8(qx[j]))
		}
		sumf += float32(sumi) * (f16(wb) * f16(xb))
	}
	return sumf
}

// Q8_K activation block accessors.
func q8kD(xb []byte) float32 { return f32(xb) }
func q8kBsum(xb []byte, j int) int32 {
	return int32(int16(binary.LittleEndian.Uint16(xb[260+2*j:])))
}

// Q2_K: sum over 16 sub-blocks of 16: d*scale*sum(q*q8) - dmin*min*bsum.
// Byte l of a 32-byte group holds, at shifts 0, 2, 4, 6, the elements l,
// 32+l, 64+l, 96+l of its 128-element half; sub-block 2*step + l/16.
func dotQ2_K(n int, w, x []byte) float32 {
	var sumf float32
	for b := 0; b < n/qkK; b++ {
		wb, xb := (*[84]byte)(w[84*b:]), (*[292]byte)(x[292*b:])
		sc := wb[0:16]
		var summs int32
		for j := 0; j < 16; j++ {
			summs += q8kBsum(xb[:], j) * int32(sc[j]>>4)
		}
		var isum int32
		for h := 0; h < 2; h++ {
			qq := (*[32]byte)(wb[16+32*h:])
			q8 := (*[128]byte)(xb[4+128*h:])
			var s [8]int32
			for l := 0; l < 32; l++ {
				k, v := l>>4, qq[l]
				s[k] += int32(int8(q8[l])) * int32(v&3)
				s[2+k] += int32(int8(q8[32+l])) * int32(v>>2&3)
				s[4+k] += int32(int8(q8[64+l])) * int32(v>>4&3)
				s[6+k] += int32(int8(q8[96+l])) * int32(v>>6)
			}
			for k := 0; k < 8; k++ {
				isum += int32(sc[8*h+k]&0xf) * s[k]
			}
		}
		dx := q8kD(xb[:])
		dall := dx * f16(wb[80:])
		dmin := dx * f16(wb[82:])
		sumf += dall*float32(isum) - dmin*float32(summs)
	}
	return sumf
}

// Q3_K: as Q2_K's layout, plus a high bit per element in hmask (bit
// 4*half+step of byte l); a clear bit subtracts 4. Scales are 6-bit, minus 32.
func dotQ3_K(n int, w, x []byte) float32 {
	var scales [16]int8
	var sumf float32
	for b := 0; b < n/qkK; b++ {
		wb, xb := (*[110]byte)(w[110*b:]), (*[292]byte)(x[292*b:])
		hm := (*[32]byte)(wb[0:32])
		q3kScales(wb[96:108], &scales)
		var isum int32
		for h := 0; h < 2; h++ {
			qq := (*[32]byte)(wb[32+32*h:])
			q8 := (*[128]byte)(xb[4+128*h:])
			var s [8]int32
			for l := 0; l < 32; l++ {
				k, v, hb := l>>4, int32(qq[l]), int32(hm[l]>>(4*h))
				s[k] += int32(int8(q8[l])) * (v&3 - 4 + 4*(hb&1))
				s[2+k] += int32(int8(q8[32+l])) * (v>>2&3 - 4 + 4*(hb>>1&1))
				s[4+k] += int32(int8(q8[64+l])) * (v>>4&3 - 4 + 4*(hb>>2&1))
				s[6+k] += int32(int8(q8[96+l])) * (v>>6 - 4 + 4*(hb>>3&1))
			}
			for k := 0; k < 8; k++ {
				isum += (int32(scales[8*h+k]) - 32) * s[k]
			}
		}
		sumf += f16(wb[108:]) * q8kD(xb[:]) * float32(isum)
	}
	return sumf
}

// Q4_K: d*sum(scale_j*sum(q*q8)) - dmin*sum(min_j*bsums) per super-block.
func dotQ4_K(n int, w, x []byte) float32 {
	var sumf float32
	for b := 0; b < n/qkK; b++ {
		wb, xb := w[144*b:144*b+144], x[292*b:292*b+292]
		scales, q4, q8 := wb[4:16], wb[16:144], xb[4:260]
		var isum, summs int32
		for j := 0; j < 4; j++ {
			sc1, m1 := scaleMinK4(2*j, scales)
			sc2, m2 := scaleMinK4(2*j+1, scales)
			qq, lo, hi := (*[32]byte)(q4[32*j:]), (*[32]byte)(q8[64*j:]), (*[32]byte)(q8[64*j+32:])
			var s1, s2 int32
			for l := 0; l < 32; l++ {
				s1 += int32(qq[l]&0xf) * int32(int8(lo[l]))
				s2 += int32(qq[l]>>4) * int32(int8(hi[l]))
			}
			isum += int32(sc1)*s1 + int32(sc2)*s2
			summs += int32(m1)*(q8kBsum(xb, 4*j)+q8kBsum(xb, 4*j+1)) +
				int32(m2)*(q8kBsum(xb, 4*j+2)+q8kBsum(xb, 4*j+3))
		}
		dx := q8kD(xb)
		d := f16(wb) * dx
		dmin := f16(wb[2:]) * dx
		sumf += d*float32(isum) - dmin*float32(summs)
	}
	return sumf
}

func dotQ5_K(n int, w, x []byte) float32 {
	var sumf float32
	for b := 0; b < n/qkK; b++ {
		wb, xb := w[176*b:176*b+176], x[292*b:292*b+292]
		scales, qh, q5, q8 := wb[4:16], wb[16:48], wb[48:176], xb[4:260]
		var isum, summs int32
		for j := 0; j < 4; j++ {
			sc1, m1 := scaleMinK4(2*j, scales)
			sc2, m2 := scaleMinK4(2*j+1, scales)
			u1, u2 := uint(2*j), uint(2*j+1)
			qq, lo, hi, qhh := (*[32]byte)(q5[32*j:]), (*[32]byte)(q8[64*j:]), (*[32]byte)(q8[64*j+32:]), (*[32]byte)(qh)
			var s1, s2 int32
			for l := 0; l < 32; l++ {
				v1 := int32(qq[l]&0xf) | int32(qhh[l]>>u1&1)<<4
				v2 := int32(qq[l]>>4) | int32(qhh[l]>>u2&1)<<4
				s1 += v1 * int32(int8(lo[l]))
				s2 += v2 * int32(int8(hi[l]))
			}
			isum += int32(sc1)*s1 + int32(sc2)*s2
			summs += int32(m1)*(q8kBsum(xb, 4*j)+q8kBsum(xb, 4*j+1)) +
				int32(m2)*(q8kBsum(xb, 4*j+2)+q8kBsum(xb, 4*j+3))
		}
		dx := q8kD(xb)
		d := f16(wb) * dx
		dmin := f16(wb[2:]) * dx
		sumf += d*float32(isum) - dmin*float32(summs)
	}
	return sumf
}

func dotQ6_K(n int, w, x []byte) float32 {
	var sumf float32
	for b := 0; b < n/qkK; b++ {
		wb, xb := w[210*b:210*b+210], x[292*b:292*b+292]
		sc := wb[192:208]
		var isum int32
		for h := 0; h < 2; h++ {
			ql, qh := (*[64]byte)(wb[64*h:]), (*[32]byte)(wb[128+32*h:])
			q8 := (*[128]byte)(xb[4+128*h:])
			s := sc[8*h : 8*h+8]
			// Sub-block k (16 elements) of this half uses scale s[k].
			var sums [8]int32
			for l := 0; l < 32; l++ {
				is := l / 16
				q1 := int32(ql[l]&0xf|(qh[l]&3)<<4) - 32
				q2 := int32(ql[l+32]&0xf|(qh[l]>>2&3)<<4) - 32
				q3 := int32(ql[l]>>4|(qh[l]>>4&3)<<4) - 32
				q4 := int32(ql[l+32]>>4|(qh[l]>>6&3)<<4) - 32
				sums[is+0] += q1 * int32(int8(q8[l]))
				sums[is+2] += q2 * int32(int8(q8[l+32]))
				sums[is+4] += q3 * int32(int8(q8[l+64]))
				sums[is+6] += q4 * int32(int8(q8[l+96]))
			}
			for k := 0; k < 8; k++ {
				isum += int32(int8(s[k])) * sums[k]
			}
		}
		sumf += f16(wb[208:]) * q8kD(xb) * float32(isum)
	}
	return sumf
}
