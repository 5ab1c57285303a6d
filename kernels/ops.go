package kernels

import (
	"math"

	"github.com/hearthlm/hearth/quant"
)

// RMSNorm writes x / sqrt(mean(x²) + eps) * w into out. The sum of squares
// is accumulated in float64, as ggml does.
func RMSNorm(out, x, w []float32, eps float32) {
	var sum float64
	for _, v := range x {
		sum += float64(v * v)
	}
	mean := float32(sum / float64(len(x)))
	scale := 1 / float32(math.Sqrt(float64(mean+eps)))
	for i, v := range x {
		out[i] = (v * scale) * w[i]
	}
}

// Add sets dst[i] += src[i].
func Add(dst, src []float32) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] += src[i]
	}
}

// SiLUMul sets gate[i] = silu(gate[i]) * up[i] (SwiGLU), as
// ggml_vec_swiglu_f32 does on x86 AVX2+FMA: blocks of 8 use ggml_v_silu
// (x / (1 + ggml_v_expf(-x)), ggml's own vector expf, see vexpf), the
// remaining n%8 elements x/(1 + expf(-x)) with the C library's expf.
func SiLUMul(gate, up []float32) {
	up = up[:len(gate)]
	n8 := len(gate) &^ 7
	siluMul8(gate[:n8], up[:n8])
	for i := n8; i < len(gate); i++ {
		g := gate[i]
		gate[i] = float32(g/(1+Expf(-g))) * up[i]
	}
}

// siluMul8Generic is the reference of siluMul8: gate[i] =
// gate[i]/(1+vexpf(0-gate[i])) * up[i], ggml_v_silu times up, lane by lane.
func siluMul8Generic(gate, up []float32) {
	up = up[:len(gate)]
	for i, g := range gate {
		gate[i] = float32(g/(1+vexpf(0-g))) * up[i]
	}
}

// softMaxTileGeneric is the reference of softMaxTile, the vector part of
// ggml_vec_soft_max_f32 (AVX2): x[i] = ggml_v_expf(x[i] - m), and the sum
// of the results taken 8 at a time, a pairwise tree within the 8 in
// float32, each group's sum added to a float64 in order. len(x) must be a
// multiple of 8.
func softMaxTileGeneric(x []float32, m float32) float64 {
	var sum float64
	for g := 0; g+8 <= len(x); g += 8 {
		e := (*[8]float32)(x[g : g+8])
		for i := range e {
			e[i] = vexpf(e[i] - m)
		}
		sum += float64(((e[0] + e[4]) + (e[2] + e[6])) + ((e[1] + e[5]) + (e[3] + e[7])))
	}
	return sum
}

// vexpf is one lane of ggml_v_expf (ggml-cpu/vec.h, the AVX2+FMA version
// adapted from ARM's optimized routines), operation for operation.
func vexpf(x float32) float32 {
	const r = 0x1.8p23
	z := quant.FMA32(x, 0x1.715476p+0, r)
	n := z - r
	b := quant.FMA32(-n, 0x1.7f7d1cp-20, quant.FMA32(-n, 0x1.62e4p-1, x))
	e := math.Float32bits(z) << 23
	k := math.Float32frombits(e + math.Float32bits(1))
	u := b * b
	j := quant.FMA32(
		quant.FMA32(quant.FMA32(0x1.0e4020p-7, b, 0x1.573e2ep-5), u, quant.FMA32(0x1.555e66p-3, b, 0x1.fffdb6p-2)),
		u, float32(0x1.ffffecp-1*b))
	an := float32(math.Abs(float64(n)))
	if !(an > 126) {
		return quant.FMA32(j, k, k)
	}
	var g uint32
	if n <= 0 {
		g = 0x82000000
	}
	s1 := math.Float32frombits(g + 0x7f000000)
	s2 := math.Float32frombits(e - g)
	if an > 192 {
		return s1 * s1
	}
	return quant.FMA32(s2, j, s2) * s1
}

// Softmax normalizes x in place after scaling: x[i] = exp(x[i]*scale - max) / sum.
// The sum is accumulated in float64, as ggml does.
func Softmax(x []float32, scale float32) {
	if len(x) == 0 {
		return
	}
	mx := float32(math.Inf(-1))
	for i := range x {
		x[i] *= scale
		if x[i] > mx {
			mx = x[i]
		}
	}
	var sum float64
	for i, v := range x {
		e := float32(math.Exp(float64(v - mx)))
		x[i] = e
		sum += float64(e)
	}
	inv := float32(1 / sum)
	for i := range x {
		x[i] *= inv
	}
}

// RopeCache holds cos/sin pairs of one position for the rotated dims.
//
// ggml computes the angle for pair i as theta_i = pos * base^(-2i/n) by
// repeated float32 multiplication, divides by an optional frequency factor,
// and scales by freqScale; we do the same so angles round identically, and
// take powf, cosf and sinf as glibc computes them (see Sinf).
func RopeCache(cache []float32, pos int, nDims int, base, freqScale float32, freqFactors []float32) {
	thetaScale := Powf(base, -2/float32(nDims))
	theta := float32(pos)
	for i := 0; i < nDims; i += 2 {
		ff := float32(1)
		if freqFactors != nil {
			ff = freqFactors[i/2]
		}
		t := freqScale * (theta / ff)
		cache[i] = Cosf(t)
		cache[i+1] = Sinf(t)
		theta *= thetaScale
	}
}

// RopeNorm rotates adjacent pairs (x[2i], x[2i+1]) of the first nDims
// elements of one head (llama's "normal" rope). The products are fused as
// ggml-cpu's build contracts rotate_pairs: fma(x0, cos, -(x1·sin)) and
// fma(x0, sin, x1·cos) (found against llama.cpp's own rope outputs).
func RopeNorm(x []float32, cache []float32, nDims int) {
	ropeNormGeneric(x, cache, ropeNormFast(x, cache, nDims), nDims)
}

// ropeNormGeneric is RopeNorm on elements [from, nDims) (from even).
func ropeNormGeneric(x []float32, cache []float32, from, nDims int) {
	for i := from; i < nDims; i += 2 {
		c, s := cache[i], cache[i+1]
		x0, x1 := x[i], x[i+1]
		x[i] = quant.FMA32(x0, c, -(x1 * s))
		x[i+1] = quant.FMA32(x0, s, x1*c)
	}
}

// RopeNeox rotates pairs (x[i], x[i+nDims/2]) of one head (GPT-NeoX style).
func RopeNeox(x []float32, cache []float32, nDims int) {
	ropeNeoxGeneric(x, cache, 2*ropeNeoxFast(x, cache, nDims/2), nDims)
}

// ropeNeoxGeneric is RopeNeox on the pairs from pair from/2 on.
func ropeNeoxGeneric(x []float32, cache []float32, from, nDims int) {
	h := nDims / 2
	for i := from; i < nDims; i += 2 {
		c, s := cache[i], cache[i+1]
		x0, x1 := x[i/2], x[i/2+h]
		x[i/2] = quant.FMA32(x0, c, -(x1 * s))
		x[i/2+h] = quant.FMA32(x0, s, x1*c)
	}
}

// maxNonNaNGeneric is MaxNonNaN's Go twin.
func maxNonNaNGeneric(x []float32, init float32) float32 {
	m := init
	for _, v := range x {
		if v > m {
			m = v
		}
	}
	return m
}
