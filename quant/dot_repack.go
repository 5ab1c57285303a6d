package quant

import (
	"encoding/binary"
	"math"

	"github.com/hearthlm/hearth/gguf"
)

// ggml-cpu on x86 with AVX2 moves Q4_0 and Q4_K weights whose row count is
// a multiple of 8 into its "CPU_REPACK" buffer (8 rows interleaved:
// block_q4_0x8, block_q4_Kx8) and multiplies them with its own kernels
// (ggml_gemv/gemm_q4_0_8x8_q8_0, ggml_gemv/gemm_q4_K_8x8_q8_K). Those sum in
// another order than vec_dot. The functions here compute the same sums, in
// the same float order, on the original (un-repacked) blocks.
//
// forward_mul_mat_one_chunk runs gemm on the first n - n%4 activation rows
// (quantized four at a time by ggml_quantize_mat_q8_*_4x8) and gemv on each
// of the rest (quantized by the ordinary from_float).

// RepackOK reports whether ggml-cpu (AVX2) repacks a rows×cols weight of type
// t, so that its products follow RepackDotRows' order.
func RepackOK(t gguf.Type, rows, cols int) bool {
	switch t {
	case gguf.TypeQ4_0:
		return rows%8 == 0 && cols%8 == 0 && cols%32 == 0
	case gguf.TypeQ4_K:
		return rows%8 == 0 && cols%qkK == 0
	}
	return false
}

// RepackGemmRows returns how many of n activation rows ggml's repacked
// product handles with gemm (the rest go through gemv).
func RepackGemmRows(n int) int {
	if n > 3 {
		return n - n%4
	}
	return 0
}

// QuantizeRowRepack quantizes one activation row for a gemm row of the
// repacked product: ggml_quantize_mat_q8_0_4x8 / ggml_quantize_mat_q8_K_4x8
// (AVX2) per row. For Q8_0 that is quantize_row_q8_0's result; for Q8_K the
// scale's sign comes from whether any element equals +max|x| (the reference
// takes the sign of the first element of largest magnitude).
func QuantizeRowRepack(t gguf.Type, src []float32, dst []byte) error {
	if t != gguf.TypeQ8_K {
		return QuantizeRow(t, src, dst)
	}
	if _, err := checkRow("quantize", t, len(src), len(dst)); err != nil {
		return err
	}
	for b := 0; b < len(src)/qkK; b++ {
		quantQ8K4x8(src[qkK*b:qkK*b+qkK], dst[292*b:292*b+292])
	}
	return nil
}

func quantQ8K4x8(x []float32, blk []byte) {
	var amax float32
	for _, v := range x {
		amax = max(amax, float32(math.Abs(float64(v))))
	}
	if amax == 0 {
		clear(blk[:292])
		return
	}
	pos := false
	for _, v := range x {
		if v == amax {
			pos = true
			break
		}
	}
	iscale := 127 / amax
	if pos {
		iscale = -127 / amax
	}
	qs, bsums := blk[4:260], blk[260:292]
	for j, v := range x {
		qs[j] = byte(int8(min(127, nearestInt(iscale*v))))
	}
	for j := 0; j < 16; j++ {
		var s int16
		for _, q := range qs[16*j : 16*j+16] {
			s += int16(int8(q))
		}
		binary.LittleEndian.PutUint16(bsums[2*j:], uint16(s))
	}
	binary.LittleEndian.PutUint32(blk, math.Float32bits(1/iscale))
}

// RepackDotRows computes out[r] = dot(weight row r, x) for rows weight rows
// w (type t, n columns each) and one activation row x (VecDotType(t)), in
// the order of ggml's repacked kernels: gemm's when gemm is set, gemv's
// otherwise. t must be Q4_0 or Q4_K.
func RepackDotRows(t gguf.Type, n int, w []byte, rows int, x []byte, out []float32, gemm bool) {
	rb := RowBytes(t, n)
	for r := 0; r < rows; r++ {
		wr := w[r*rb : (r+1)*rb]
		switch t {
		case gguf.TypeQ4_0:
			out[r] = repackQ4_0(n, wr, x)
		case gguf.TypeQ4_K:
			out[r] = repackQ4_K(n, wr, x, gemm)
		default:
			panic("quant: RepackDotRows: " + t.String())
		}
	}
}

// repackQ4_0 is one output of ggml_gemv/gemm_q4_0_8x8_q8_0 (AVX2): per
// block, the exact integer sum of (q-8)*a, then
// acc = fma(float(sum), dw*da, acc), in block order.
func repackQ4_0(n int, w, x []byte) float32 {
	var acc float32
	for b := 0; b < n/32; b++ {
		wb, xb := w[18*b:18*b+18], x[34*b:34*b+34]
		var s int32
		for j, q := range wb[2:18] {
			s += (int32(q&0xf) - 8) * int32(int8(xb[2+j]))
			s += (int32(q>>4) - 8) * int32(int8(xb[2+j+16]))
		}
		acc = fma32(float32(s), f16(wb)*f16(xb), acc)
	}
	return acc
}

// repackQ4_K is one output of ggml_gemv_q4_K_8x8_q8_K (gemm false) or
// ggml_gemm_q4_K_8x8_q8_K (gemm true), AVX2. The quant sums
// Σ scale_j Σ q*a and the min sums Σ min_j (bsum_2j + bsum_2j+1) are exact
// integers; gemv folds them in once per super-block,
// acc = fma(float(sum), dw*da, acc), accMin = fma(float(mins), dmin*da, accMin),
// gemm once per 64-element pair of sub-blocks. The result is acc - accMin.
func repackQ4_K(n int, w, x []byte, gemm bool) float32 {
	var acc, accMin float32
	for b := 0; b < n/qkK; b++ {
		wb, xb := w[144*b:144*b+144], x[292*b:292*b+292]
		da := q8kD(xb)
		d := f16(wb) * da
		dmin := f16(wb[2:]) * da
		scales, qs, q8 := wb[4:16], wb[16:144], xb[4:260]
		var sb, mb int32
		for p := 0; p < 4; p++ {
			var s, m int32
			for h := 0; h < 2; h++ {
				k := 2*p + h
				sc, mn := scaleMinK4(k, scales)
				var dot int32
				for e := 0; e < 32; e++ {
					q := qs[32*p+e]
					if h == 1 {
						q >>= 4
					}
					dot += int32(q&0xf) * int32(int8(q8[64*p+32*h+e]))
				}
				s += int32(sc) * dot
				m += int32(mn) * (q8kBsum(xb, 2*k) + q8kBsum(xb, 2*k+1))
			}
			if gemm {
				acc = fma32(float32(s), d, acc)
				accMin = fma32(float32(m), dmin, accMin)
			} else {
				sb += s
				mb += m
			}
		}
		if !gemm {
			acc = fma32(float32(sb), d, acc)
			accMin = fma32(float32(mb), dmin, accMin)
		}
	}
	return acc - accMin
}
