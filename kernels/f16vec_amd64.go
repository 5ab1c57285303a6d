//go:build amd64 && !purego

package kernels

import "unsafe"

//go:noescape
func scaleF16AVX2(acc *uint16, n int, s float32)

//go:noescape
func madF16AVX2(acc, v *uint16, n int, s float32)

//go:noescape
func dotF16F32AVX2(a *uint16, b *float32, n int) float32

// ScaleF16 sets acc[i] = f16(f32(acc[i]) * s), as ggml_vec_scale_f16.
func ScaleF16(acc []uint16, s float32) {
	n := 0
	if useAVX2 {
		n = len(acc) &^ 7
		if n > 0 {
			scaleF16AVX2(unsafe.SliceData(acc), n, s)
		}
	}
	scaleF16Generic(acc[n:], s)
}

// MadF16 sets acc[i] = f16(fma(f32(v[i]), s, f32(acc[i]))) for i <
// len(acc), as ggml_vec_mad_f16. v must be at least as long as acc.
func MadF16(acc, v []uint16, s float32) {
	v = v[:len(acc)]
	n := 0
	if useAVX2 {
		n = len(acc) &^ 7
		if n > 0 {
			madF16AVX2(unsafe.SliceData(acc), unsafe.SliceData(v), n, s)
		}
	}
	madF16Generic(acc[n:], v[n:], s)
}

// DotF16 returns ggml_vec_dot_f16 of a (float16) with b (float16 values
// held as float32), equal to quant.DotF16.
func DotF16(a []uint16, b []float32) float32 {
	b = b[:len(a)]
	if useAVX2 && len(a) > 0 && len(a)%32 == 0 {
		return dotF16F32AVX2(unsafe.SliceData(a), unsafe.SliceData(b), len(a))
	}
	return dotF16Generic(a, b)
}
