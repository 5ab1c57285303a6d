//go:build (!amd64 && !arm64) || purego

package kernels

// madQ8 sets acc[i] = fma(float32(q[i])*d, s, acc[i]) over the
// len(acc)/32 q8_0 blocks of v (dequantize_row_q8_0, then
// ggml_vec_mad_f32); len(acc) must be a multiple of 32.
func madQ8(acc []float32, v []byte, s float32) { madQ8Generic(acc, v, s) }
