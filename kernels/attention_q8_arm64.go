//go:build arm64 && !purego

package kernels

import "unsafe"

//go:noescape
func madQ8NEON(acc *float32, v *byte, nb int, s float32)

// madQ8 sets acc[i] = fma(float32(q[i])*d, s, acc[i]) over the
// len(acc)/32 q8_0 blocks of v (dequantize_row_q8_0, then
// ggml_vec_mad_f32); len(acc) must be a multiple of 32.
func madQ8(acc []float32, v []byte, s float32) {
	nb := len(acc) / 32
	if !useNEON || !useF16Asm || nb == 0 {
		madQ8Generic(acc, v, s)
		return
	}
	_ = v[nb*34-1]
	madQ8NEON(unsafe.SliceData(acc), unsafe.SliceData(v), nb, s)
}
