package kernels

import "github.com/hearthlm/hearth/quant"

// The element-wise reference of ScaleF16, MadF16 and DotF16, also used for
// the tails the assembly leaves and where there is none.

func scaleF16Generic(acc []uint16, s float32) {
	for i, a := range acc {
		acc[i] = quant.FP32ToFP16(quant.FP16ToFP32(a) * s)
	}
}

func madF16Generic(acc, v []uint16, s float32) {
	v = v[:len(acc)]
	for i, a := range acc {
		acc[i] = quant.FP32ToFP16(quant.FMA32(quant.FP16ToFP32(v[i]), s, quant.FP16ToFP32(a)))
	}
}

func dotF16Generic(a []uint16, b []float32) float32 { return quant.DotF16(a, b) }
