package kernels

import (
	"math"

	"github.com/hearthlm/hearth/gguf"
	"github.com/hearthlm/hearth/quant"
)

// Q8RowBytes is the size of a q8_0 row of d elements (d a multiple of 32):
// d/32 blocks of an f16 scale and 32 int8 values.
func Q8RowBytes(d int) int { return d / 32 * 34 }

// QuantizeQ8 quantizes src (a multiple of 32 long) to q8_0 into dst as
// ggml-cpu's from_float for GGML_TYPE_Q8_0 does on x86 (quantize_row_q8_0,
// AVX2): what ggml_set_rows writes into a q8_0 KV cache and what flash
// attention turns the query into before its q8_0 dot products.
func QuantizeQ8(dst []byte, src []float32) {
	if err := quant.QuantizeRow(gguf.TypeQ8_0, src, dst); err != nil {
		panic("kernels: QuantizeQ8: " + err.Error())
	}
}

// AttendOnlineQ8 is ggml_compute_forward_flash_attn_ext_f16_one_chunk
// (ggml-cpu/ops.cpp) over a q8_0 cache, the path ggml takes for every
// ubatch when K and V are q8_0 (its tiled and split-KV paths need f32 or
// f16 K/V). k and v hold n contiguous q8_0 rows of len(q) elements (a
// multiple of 32). The query is quantized to q8_0 (qq, Q8RowBytes(len(q))
// bytes), each score is ggml_vec_dot_q8_0_q8_0 of the key row and the
// quantized query, times scale; with softcap non-zero the scale is divided
// by it and the score becomes softcap·tanhf(score). The online softmax
// keeps the weighted values in an f32 accumulator acc (len(q)): on a new
// maximum acc = acc·ms (ggml_vec_scale_f32), then the value row is
// dequantized (dequantize_row_q8_0) and acc = fma(v, vs, acc)
// (ggml_vec_mad_f32; madQ8, in AVX2 on amd64); S = S*ms + vs with the
// product rounded, as ggml-cpu's build computes it; out = acc · (1/S)
// (ggml_vec_scale_f32). scores is scratch of n floats.
func AttendOnlineQ8(out, q []float32, k, v []byte, n int, scale, softcap float32, qq []byte, scores, acc []float32) {
	d := len(q)
	rb := Q8RowBytes(d)
	qq = qq[:rb]
	QuantizeQ8(qq, q)
	scores = scores[:n]
	if !DotRowsFast(gguf.TypeQ8_0, d, k, n, qq, scores) {
		quant.DotRows(gguf.TypeQ8_0, d, k, n, qq, scores)
	}
	attendQ8Values(out, v, rb, scores, scale, softcap, acc[:d])
}

// attendQ8Values is AttendOnlineQ8 from the raw scores on: the online
// softmax over the scores and the weighted sum of the q8_0 value rows
// (rb bytes each).
func attendQ8Values(out []float32, v []byte, rb int, scores []float32, scale, softcap float32, acc []float32) {
	d := len(acc)
	if softcap != 0 {
		scale /= softcap
	}
	clear(acc)
	var sum float32
	m := float32(math.Inf(-1))
	for j, s := range scores {
		ms, vs := onlineStep(s, scale, softcap, &m, &sum)
		if ms != 1 {
			for i := range acc {
				acc[i] *= ms
			}
		}
		madQ8(acc, v[j*rb:(j+1)*rb], vs)
	}
	inv := float32(0)
	if sum != 0 {
		inv = 1 / sum
	}
	for i := range out[:d] {
		out[i] = acc[i] * inv
	}
}

// madQ8Generic is madQ8 element by element: each value is its int8 times
// the block's f16 scale (dequantize_row_q8_0), rounded, then fused into
// acc (ggml_vec_mad_f32).
func madQ8Generic(acc []float32, v []byte, s float32) {
	for b := 0; b < len(acc)/32; b++ {
		blk := v[34*b : 34*b+34]
		d := quant.FP16ToFP32(uint16(blk[0]) | uint16(blk[1])<<8)
		a := acc[32*b : 32*b+32]
		for j, x := range blk[2:34] {
			a[j] = quant.FMA32(float32(float32(int8(x))*d), s, a[j])
		}
	}
}

// FWHT rotates x (a power-of-two length) in place by the orthonormal
// Walsh-Hadamard matrix, as ggml-cpu computes a ggml_mul_mat hinted
// GGML_HINT_SRC0_IS_HADAMARD (ggml_compute_forward_fwht): each value is
// first multiplied by 1/sqrtf(len(x)), then butterflies of growing span
// replace (u, v) by (u+v, u-v). llama.cpp rotates keys and queries, and
// values and the attention output, this way around a quantized KV cache.
func FWHT(x []float32) {
	n := len(x)
	scale := 1 / float32(math.Sqrt(float64(n)))
	for i := range x {
		x[i] *= scale
	}
	for l := 1; l < n; l <<= 1 {
		for i := 0; i < n; i += 2 * l {
			a, b := x[i:i+l], x[i+l:i+2*l]
			for j := range a {
				u, v := a[j], b[j]
				a[j], b[j] = u+v, u-v
			}
		}
	}
}

// FWHTBlocks applies FWHT to each consecutive block of n values of x;
// n <= 0 leaves x as it is.
func FWHTBlocks(x []float32, n int) {
	if n <= 0 {
		return
	}
	for i := 0; i+n <= len(x); i += n {
		FWHT(x[i : i+n])
	}
}
