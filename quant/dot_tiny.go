package quant

import "github.com/hearthlm/hearth/gguf"

// TinyDotOK reports whether ggml-cpu on x86 AVX2 runs a matrix product of
// rows×n weights of type t with a batch of more than one activation row
// through llamafile_sgemm's tinyBLAS (ggml/src/ggml-cpu/llamafile/sgemm.cpp)
// rather than vec_dot: for F32, F16 and BF16 when n is a multiple of 8 and
// rows of 4. (The Q8_0/Q4_0/Q5_0 tinyBLAS_Q0_AVX kernel computes each
// element exactly as VecDot does, so it needs no twin.)
func TinyDotOK(t gguf.Type, n, rows int) bool {
	switch t {
	case gguf.TypeF32, gguf.TypeF16, gguf.TypeBF16:
		return n%8 == 0 && rows%4 == 0
	}
	return false
}

// TinyDot returns one element of tinyBLAS<8, __m256, ...>'s matmul for
// F32, F16 or BF16 weights w and an activation row x of the same type: one
// 8-lane accumulator, lane l = fma over elements l, l+8, l+16, ... in
// order, then hsum8. n must be a multiple of 8.
func TinyDot(t gguf.Type, n int, w, x []byte) float32 {
	var acc [8]float32
	switch t {
	case gguf.TypeF32:
		w, x = w[:4*n], x[:4*n]
		for i := 0; i < n; i += 8 {
			for l := 0; l < 8; l++ {
				o := 4 * (i + l)
				acc[l] = fma32(f32(w[o:]), f32(x[o:]), acc[l])
			}
		}
	case gguf.TypeF16:
		w, x = w[:2*n], x[:2*n]
		for i := 0; i < n; i += 8 {
			for l := 0; l < 8; l++ {
				o := 2 * (i + l)
				acc[l] = fma32(f16(w[o:]), f16(x[o:]), acc[l])
			}
		}
	case gguf.TypeBF16:
		w, x = w[:2*n], x[:2*n]
		for i := 0; i < n; i += 8 {
			for l := 0; l < 8; l++ {
				o := 2 * (i + l)
				acc[l] = fma32(bf16(w[o:]), bf16(x[o:]), acc[l])
			}
		}
	default:
		panic("quant: TinyDot: weight type " + t.String() + " not supported")
	}
	return hsum8(&acc)
}

// TinyDotRows sets out[r] = TinyDot(t, n, row r of w, x) for r < rows.
func TinyDotRows(t gguf.Type, n int, w []byte, rows int, x []byte, out []float32) {
	rb := RowBytes(t, n)
	if rb < 0 || n%8 != 0 {
		panic("quant: TinyDotRows: bad row length for " + t.String())
	}
	_ = out[:rows]
	for r := 0; r < rows; r++ {
		out[r] = TinyDot(t, n, w[r*rb:(r+1)*rb], x)
	}
}
