package quant

import (
	"encoding/binary"
	"math"

	"github.com/hearthlm/hearth/gguf"
)

// QuantizeRow converts len(src) float32 values to type t into dst.
//
// The activation types match what ggml-cpu runs for a matmul's right-hand
// side on an x86 machine with AVX2 (the from_float of type_traits_cpu):
//
//   - Q8_0, Q8_1: the AVX/AVX2 quantize_row_q8_0 / quantize_row_q8_1 of
//     ggml-cpu/arch/x86/quants.c, not quantize_row_q8_{0,1}_ref. They differ
//     from the reference: the multiplier is 127/amax (not 1/d) and rounding is
//     to nearest even (_mm256_round_ps), not roundf's half away from zero;
//     Q8_1's s is half(d * sum(q)) with the unrounded float32 d.
//   - Q8_K: quantize_row_q8_K_ref (x86 has no SIMD version): scale -127/max
//     where max is the signed value of largest magnitude, nearest_int
//     rounding (ties to even), d = 1/iscale, and the 16-element bsums. For an
//     all-zero block ggml leaves bsums untouched; we write zeros.
//   - F16: F16C conversion, round to nearest even (ggml_cpu_fp32_to_fp16).
//   - BF16: ggml_compute_fp32_to_bf16.
//   - F32: copied.
//
// Weight types (Q4_0 Q4_1 Q5_0 Q5_1 Q2_K Q3_K Q4_K Q5_K Q6_K) use ggml's
// reference quantizers, see quantize_ref.go; for Q8_0 weights as
// llama-quantize writes them use QuantizeRowRef.
func QuantizeRow(t gguf.Type, src []float32, dst []byte) error {
	n := len(src)
	need, err := checkRow("quantize", t, n, len(dst))
	if err != nil {
		return err
	}
	dst = dst[:need]
	switch t {
	case gguf.TypeF32:
		for i, v := range src {
			binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(v))
		}
	case gguf.TypeF16:
		for i, v := range src {
			binary.LittleEndian.PutUint16(dst[2*i:], FP32ToFP16(v))
		}
	case gguf.TypeBF16:
		for i, v := range src {
			binary.LittleEndian.PutUint16(dst[2*i:], FP32ToBF16(v))
		}
	case gguf.TypeQ8_0:
		quantQ8x86Row(src, dst, n/32, false)
	case gguf.TypeQ8_1:
		quantQ8x86Row(src, dst, n/32, true)
	case gguf.TypeQ8_K:
		quantQ8KRow(src, dst, n/qkK)
	default:
		return quantizeWeights(t, src, dst)
	}
	return nil
}

// quantQ8x86RowGo is quantQ8x86Row in Go.
func quantQ8x86RowGo(x []float32, dst []byte, nb int, withSum bool) {
	bs := 34
	if withSum {
		bs = 36
	}
	for b := 0; b < nb; b++ {
		quantQ8x86(x[32*b:32*b+32], dst[bs*b:bs*b+bs], withSum)
	}
}

// quantQ8x86 quantizes one block of 32 as ggml-cpu's AVX2 quantize_row_q8_0
// (withSum false: d | qs) or quantize_row_q8_1 (withSum true: d | s | qs).
func quantQ8x86(x []float32, blk []byte, withSum bool) {
	var amax float32
	for _, v := range x {
		// maxps: keeps the first operand unless the second is larger.
		if a := float32(math.Abs(float64(v))); a > amax {
			amax = a
		}
	}
	d := amax / 127
	var id float32
	if amax != 0 {
		id = 127 / amax
	}
	binary.LittleEndian.PutUint16(blk, FP32ToFP16(d))
	qs := blk[2:]
	if withSum {
		qs = blk[4:]
	}
	var sum int32
	for j, v := range x {
		p := float32(v * id)
		r := math.RoundToEven(float64(p))
		var q int32
		if r >= -2147483648 && r < 2147483648 {
			q = int32(r)
		} else {
			q = math.MinInt32 // cvtps2dq's "integer indefinite"
		}
		sum += q
		// packssdw + packsswb saturate to int8.
		qs[j] = byte(int8(min(max(q, -128), 127)))
	}
	if withSum {
		binary.LittleEndian.PutUint16(blk[2:], FP32ToFP16(d*float32(sum)))
	}
}

// nearestInt is ggml's nearest_int: it adds 1.5·2^23 in float32 and reads
// the low 23 bits of the sum, which rounds to nearest, ties to even, for
// |f| <= 2^22 (and gives ggml's own value beyond). The conversion keeps
// the caller's product from being fused into the addition.
func nearestInt(f float32) int {
	return int(math.Float32bits(float32(f)+12582912)&0x7fffff) - 0x400000
}

// quantQ8KRowGo is quantQ8KRow in Go.
func quantQ8KRowGo(x []float32, dst []byte, nb int) {
	for b := 0; b < nb; b++ {
		quantQ8K(x[qkK*b:qkK*b+qkK], dst[292*b:292*b+292])
	}
}

// quantQ8K quantizes one super-block of 256 as quantize_row_q8_K_ref.
func quantQ8K(x []float32, blk []byte) {
	var amax, maxv float32
	for _, v := range x {
		if a := float32(math.Abs(float64(v))); a > amax {
			amax, maxv = a, v
		}
	}
	qs, bsums := blk[4:260], blk[260:292]
	if amax == 0 {
		clear(blk)
		return
	}
	iscale := -127 / maxv
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
