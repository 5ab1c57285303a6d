//go:build arm64 && !purego

package kernels

import (
	"unsafe"

	"github.com/hearthlm/hearth/quant"
)

// useF16Asm selects the NEON attention helpers: ScaleF16, MadF16 and DotF16
// (f16vec_arm64.s) and madQ8 (attention_q8_arm64.s); tests switch it off
// to compare.
var useF16Asm = true

//go:noescape
func scaleF16NEON(acc *uint16, n int, s float32)

//go:noescape
func madF16NEON(acc, v *uint16, n int, s float32)

//go:noescape
func dotF16F32NEON(a *uint16, b *float32, n int) float32

// ScaleF16 sets acc[i] = f16(f32(acc[i]) * s), as ggml_vec_scale_f16.
func ScaleF16(acc []uint16, s float32) {
	n := 0
	if useNEON && useF16Asm {
		n = len(acc) &^ 7
		if n > 0 {
			scaleF16NEON(unsafe.SliceData(acc), n, s)
		}
	}
	scaleF16Generic(acc[n:], s)
}

// MadF16 sets acc[i] = f16(fma(f32(v[i]), s, f32(acc[i]))) for i <
// len(acc), as ggml_vec_mad_f16. v must be at least as long as acc.
func MadF16(acc, v []uint16, s float32) {
	v = v[:len(acc)]
	n := 0
	if useNEON && useF16Asm {
		n = len(acc) &^ 7
		if n > 0 {
			madF16NEON(unsafe.SliceData(acc), unsafe.SliceData(v), n, s)
		}
	}
	madF16Generic(acc[n:], v[n:], s)
}

// DotF16 returns ggml_vec_dot_f16 of a (float16) with b (float16 values
// held as float32), equal to quant.DotF16: the assembly takes the steps of
// 32 and their reduction, the leftovers are added here in double as there.
func DotF16(a []uint16, b []float32) float32 {
	b = b[:len(a)]
	np := len(a) &^ 31
	if !useNEON || !useF16Asm || np == 0 {
		return dotF16Generic(a, b)
	}
	sum := float64(dotF16F32NEON(unsafe.SliceData(a), unsafe.SliceData(b), np))
	for i := np; i < len(a); i++ {
		sum += float64(float32(quant.FP16ToFP32(a[i]) * b[i]))
	}
	return float32(sum)
}
