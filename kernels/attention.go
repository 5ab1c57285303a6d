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

// ToF16 converts src to float16 into dst (quant.FP32ToFP16).
func ToF16(dst []uint16, src []float32) {
	dst = dst[:len(src)]
	n := toF16Fast(dst, src)
	for i, x := range src[n:] {
		dst[n+i] = quant.FP32ToFP16(x)
	}
}

// RoundF16 sets dst[i] to src[i] rounded to float16 and back.
func RoundF16(dst, src []float32) {
	dst = dst[:len(src)]
	n := roundF16Fast(dst, src)
	for i, x := range src[n:] {
		dst[n+i] = quant.FP16ToFP32(quant.FP32ToFP16(x))
	}
}

// FromF16Scale sets dst[i] = float32(src[i]) * s.
func FromF16Scale(dst []float32, src []uint16, s float32) {
	dst = dst[:len(src)]
	n := fromF16ScaleFast(dst, src, s)
	for i, h := range src[n:] {
		dst[n+i] = quant.FP16ToFP32(h) * s
	}
}

// AttendOnline is ggml_compute_forward_flash_attn_ext_f16_one_chunk
// (ggml-cpu/ops.cpp) over an f16 cache, the path ggml takes when a ubatch
// has fewer than 64 query rows and the split-KV path does not apply: the
// query is rounded to f16 (q16, len(q), holds the rounded values), each score is
// ggml_vec_dot_f16 (quant.DotF16) times scale, with an online softmax; the
// weighted values are accumulated in an f16 vector acc16 (len(q)): on a new
// maximum acc = f16(acc*ms) (ggml_vec_scale_f16), then
// acc = f16(fma(v, vs, acc)) (ggml_vec_mad_f16), and S = S*ms + vs with
// the product rounded (ggml-cpu's build does not fuse it); out = acc · (1/S).
// expf is glibc's (Expf).
func AttendOnline(out, q []float32, k, v []uint16, n, stride int, scale float32, q16 []float32, acc16 []uint16) {
	attendOnline(out, q, 1, k, v, n, stride, scale, 0, q16, acc16)
}

// AttendOnlineSoftcap is AttendOnline with ggml's logit soft cap (Gemma 2's
// attn_logit_softcapping, flash attention's logit_softcap): the scale is
// divided by softcap once, and each scaled score s becomes
// softcap·tanhf(s) (glibc's tanhf, Tanhf) before the softmax.
func AttendOnlineSoftcap(out, q []float32, k, v []uint16, n, stride int, scale, softcap float32, q16 []float32, acc16 []uint16) {
	attendOnline(out, q, 1, k, v, n, stride, scale/softcap, softcap, q16, acc16)
}

// AttendOnlineGroup is AttendOnline (softcap 0) or AttendOnlineSoftcap for
// g query heads that share their keys and values (grouped-query
// attention): q and out hold the g heads one after the other, q16 and
// acc16 are scratch as long as q. Each head's result is the one it gets on
// its own; the key and value rows are read from memory once for all heads.
func AttendOnlineGroup(out, q []float32, g int, k, v []uint16, n, stride int, scale, softcap float32, q16 []float32, acc16 []uint16) {
	if softcap != 0 {
		scale /= softcap
	}
	attendOnline(out, q, g, k, v, n, stride, scale, softcap, q16, acc16)
}

// attendOnline is AttendOnlineGroup with the scale already divided by a
// non-zero softcap.
func attendOnline(out, q []float32, g int, k, v []uint16, n, stride int, scale, softcap float32, q16 []float32, acc16 []uint16) {
	d := len(q) / g
	q16 = q16[:g*d]
	RoundF16(q16, q[:g*d])
	acc := acc16[:g*d]
	clear(acc)
	// Cells in blocks: the scores of a block (every head), then each
	// head's softmax steps in cell order, then the value accumulation. (On
	// a new maximum ggml scales acc by ms; with no new maximum ms is 1, and
	// scaling by 1 changes nothing, so the accumulation scales whenever
	// ms != 1.)
	const block, maxG = 64, 8
	var scores, msb, vsb [maxG * block]float32
	var sums, maxs [maxG]float32
	for h0 := 0; h0 < g; h0 += maxG {
		gg := min(maxG, g-h0)
		qg, accg := q16[h0*d:(h0+gg)*d], acc[h0*d:(h0+gg)*d]
		for h := 0; h < gg; h++ {
			sums[h], maxs[h] = 0, float32(math.Inf(-1))
		}
		for j0 := 0; j0 < n; j0 += block {
			nb := min(block, n-j0)
			kb, vb := k[j0*stride:], v[j0*stride:]
			if !dotF16CellsG(scores[:], block, nb, kb, stride, qg, gg, d) {
				for h := 0; h < gg; h++ {
					for j := 0; j < nb; j++ {
						scores[h*block+j] = DotF16(kb[j*stride:j*stride+d], qg[h*d:(h+1)*d])
					}
				}
			}
			for h := 0; h < gg; h++ {
				onlineSteps(msb[h*block:h*block+nb], vsb[h*block:h*block+nb], scores[h*block:h*block+nb], scale, softcap, &maxs[h], &sums[h])
			}
			if !madF16CellsG(accg, d, vb, stride, msb[:], vsb[:], block, nb, gg) {
				for j := 0; j < nb; j++ {
					for h := 0; h < gg; h++ {
						a := accg[h*d : (h+1)*d]
						if msb[h*block+j] != 1 {
							ScaleF16(a, msb[h*block+j])
						}
						MadF16(a, vb[j*stride:j*stride+d], vsb[h*block+j])
					}
				}
			}
		}
		for h := 0; h < gg; h++ {
			inv := float32(0)
			if sums[h] != 0 {
				inv = 1 / sums[h]
			}
			FromF16Scale(out[(h0+h)*d:(h0+h+1)*d], accg[h*d:(h+1)*d], inv)
		}
	}
}

// onlineSteps is onlineStep for the cells of a block (at most 64) in
// order, ms[j] and vs[j] for score[j], with the exponentials vectorized:
// each cell's argument is known once the maximum before it is, so a first
// pass finds the maxima and the arguments (m - s on a new maximum, s - m
// otherwise), expfVec computes them all, and a last pass sets ms and vs and
// runs the sum's recurrence (sum*ms rounded, then + vs).
func onlineSteps(ms, vs, score []float32, scale, softcap float32, m, sum *float32) {
	if len(score) > 64 {
		panic("kernels: onlineSteps over more than 64 cells")
	}
	arg := ms[:len(score)]
	vs = vs[:len(score)]
	mx := *m
	var newMax uint64
	for j, s := range score {
		s *= scale
		if softcap != 0 {
			s = softcap * Tanhf(s)
		}
		if s > mx {
			arg[j] = mx - s
			mx = s
			newMax |= 1 << j
		} else {
			arg[j] = s - mx
		}
	}
	*m = mx
	expfVec(arg, arg)
	sm := *sum
	for j, e := range arg {
		if newMax>>j&1 != 0 {
			vs[j] = 1
			sm = float32(sm*e) + 1
		} else {
			ms[j] = 1
			vs[j] = e
			sm += e
		}
	}
	*sum = sm
}

// onlineStep is one cell of ggml's online softmax over raw score s: the
// scaled (and, with softcap set, soft-capped) score either raises the
// maximum *m, and the accumulated values are then to be scaled by ms, or
// weighs its value by vs; *sum = *sum*ms + vs with the product rounded
// (ggml-cpu's build does not contract it into a fused multiply-add; the
// explicit conversion keeps Go from fusing it either).
func onlineStep(s, scale, softcap float32, m, sum *float32) (ms, vs float32) {
	s *= scale
	if softcap != 0 {
		s = softcap * Tanhf(s)
	}
	ms, vs = 1, 1
	if s > *m {
		old := *m
		*m = s
		ms = Expf(old - s)
	} else {
		vs = Expf(s - *m)
	}
	*sum = float32(*sum*ms) + vs
	return ms, vs
}
