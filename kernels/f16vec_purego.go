//go:build (!amd64 && !arm64) || purego

package kernels

// ScaleF16 sets acc[i] = f16(f32(acc[i]) * s), as ggml_vec_scale_f16.
func ScaleF16(acc []uint16, s float32) { scaleF16Generic(acc, s) }

// MadF16 sets acc[i] = f16(fma(f32(v[i]), s, f32(acc[i]))) for i <
// len(acc), as ggml_vec_mad_f16. v must be at least as long as acc.
func MadF16(acc, v []uint16, s float32) { madF16Generic(acc, v, s) }

// DotF16 returns ggml_vec_dot_f16 of a (float16) with b (float16 values
// held as float32), equal to quant.DotF16.
func DotF16(a []uint16, b []float32) float32 { return dotF16Generic(a, b) }
