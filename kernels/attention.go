package kernels

import (
	"math"

	"github.com/hearthlm/hearth/quant"
)

// Attend computes one attention head for one query over n cached
// positions: scores = softmax(scale · q·k_j), out = Σ_j score_j · v_j.
//
// Keys and values are float16 (the KV cache type). The query is rounded to
// float16 before the dot products and the scores are rounded to float16
// before weighting the values, because that is what ggml's matrix products
// over an f16 cache do; matching it keeps our logits within llama.cpp's.
//
// k and v hold n rows at the given stride (in elements); q16 and scores are
// scratch of len(q) and n.
func Attend(out, q []float32, k, v []uint16, n, stride int, scale float32, q16, scores []float32) {
	d := len(q)
	for i, x := range q {
		q16[i] = quant.FP16ToFP32(quant.FP32ToFP16(x))
	}
	scores = scores[:n]
	for j := 0; j < n; j++ {
		kr := k[j*stride : j*stride+d]
		var s float32
		for i, x := range q16[:d] {
			s += x * quant.FP16ToFP32(kr[i])
		}
		scores[j] = s
	}
	Softmax(scores, scale)
	for i := range out[:d] {
		out[i] = 0
	}
	for j := 0; j < n; j++ {
		w := quant.FP16ToFP32(quant.FP32ToFP16(scores[j]))
		if w == 0 {
			continue
		}
		vr := v[j*stride : j*stride+d]
		for i := range out[:d] {
			out[i] += w * quant.FP16ToFP32(vr[i])
		}
	}
}

// ToF16 converts src to float16 into dst.
func ToF16(dst []uint16, src []float32) {
	dst = dst[:len(src)]
	for i, x := range src {
		dst[i] = quant.FP32ToFP16(x)
	}
}

// AttendOnline is the flash-attention form ggml's CPU backend runs over an
// f16 cache: the query is rounded to f16, scores are taken one key at a
// time with an online softmax, and the weighted values are accumulated in
// an f16 vector (acc16, len(q)), rescaled whenever a new maximum appears.
func AttendOnline(out, q []float32, k, v []uint16, n, stride int, scale float32, q16 []float32, acc16 []uint16) {
	d := len(q)
	for i, x := range q {
		q16[i] = quant.FP16ToFP32(quant.FP32ToFP16(x))
	}
	acc := acc16[:d]
	for i := range acc {
		acc[i] = 0
	}
	var sum float32
	m := float32(math.Inf(-1))
	for j := 0; j < n; j++ {
		kr := k[j*stride : j*stride+d]
		var s float32
		for i, x := range q16[:d] {
			s += x * quant.FP16ToFP32(kr[i])
		}
		s *= scale
		ms, vs := float32(1), float32(1)
		if s > m {
			old := m
			m = s
			ms = float32(math.Exp(float64(old - m)))
			for i := range acc {
				acc[i] = quant.FP32ToFP16(quant.FP16ToFP32(acc[i]) * ms)
			}
		} else {
			vs = float32(math.Exp(float64(s - m)))
		}
		vr := v[j*stride : j*stride+d]
		for i := range acc {
			acc[i] = quant.FP32ToFP16(quant.FP16ToFP32(acc[i]) + quant.FP16ToFP32(vr[i])*vs)
		}
		sum = sum*ms + vs
	}
	inv := 1 / sum
	for i := range out[:d] {
		out[i] = quant.FP16ToFP32(acc[i]) * inv
	}
}
