package quant

import (
	"encoding/binary"
	"math"

	"github.com/hearthlm/hearth/gguf"
)

// RowBytes returns the bytes taken by n elements of type t, or -1 if t is
// unknown or n is negative or not a multiple of t's block size.
func RowBytes(t gguf.Type, n int) int {
	bs := t.BlockSize()
	if bs == 0 || n < 0 || n%bs != 0 {
		return -1
	}
	return n / bs * t.TypeSize()
}

// VecDotType returns the type ggml-cpu converts activations to before a dot
// product with weights of type t (vec_dot_type in type_traits_cpu):
// Q4_0, Q5_0, Q8_0 (and IQ4_NL, MXFP4) pair with Q8_0; Q4_1, Q5_1, Q8_1
// with Q8_1; the K-quants and the IQ/TQ types with Q8_K; F32, F16 and BF16
// with themselves. For any other type it returns t.
func VecDotType(t gguf.Type) gguf.Type {
	switch t {
	case gguf.TypeQ4_0, gguf.TypeQ5_0, gguf.TypeQ8_0, gguf.TypeIQ4_NL, gguf.TypeMXFP4:
		return gguf.TypeQ8_0
	case gguf.TypeQ4_1, gguf.TypeQ5_1, gguf.TypeQ8_1:
		return gguf.TypeQ8_1
	case gguf.TypeQ2_K, gguf.TypeQ3_K, gguf.TypeQ4_K, gguf.TypeQ5_K, gguf.TypeQ6_K,
		gguf.TypeIQ2_XXS, gguf.TypeIQ2_XS, gguf.TypeIQ2_S, gguf.TypeIQ3_XXS, gguf.TypeIQ3_S,
		gguf.TypeIQ1_S, gguf.TypeIQ1_M, gguf.TypeIQ4_XS, gguf.TypeTQ1_0, gguf.TypeTQ2_0:
		return gguf.TypeQ8_K
	}
	return t
}

// VecDot returns the dot product of one weight row w of type t and n elements
// with one activation row x already quantized to VecDotType(t), computed as
// ggml's vec_dot does: exact integer sums per block (or sub-block), then
// per-block float scaling. Supported t: F32, F16, BF16, Q4_0, Q4_1, Q5_0,
// Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K. n must be a multiple of t's
// block size and w, x must hold n elements; otherwise VecDot panics.
func VecDot(t gguf.Type, n int, w []byte, x []byte) float32 {
	switch t {
	case gguf.TypeF32:
		return dotF32(n, w, x)
	case gguf.TypeF16:
		return dotF16(n, w, x)
	case gguf.TypeBF16:
		return dotBF16(n, w, x)
	case gguf.TypeQ4_0:
		return dotQ4_0(n, w, x)
	case gguf.TypeQ4_1:
		return dotQ4_1(n, w, x)
	case gguf.TypeQ5_0:
		return dotQ5_0(n, w, x)
	case gguf.TypeQ5_1:
		return dotQ5_1(n, w, x)
	case gguf.TypeQ8_0:
		return dotQ8_0(n, w, x)
	case gguf.TypeQ2_K:
		return dotQ2_K(n, w, x)
	case gguf.TypeQ3_K:
		return dotQ3_K(n, w, x)
	case gguf.TypeQ4_K:
		return dotQ4_K(n, w, x)
	case gguf.TypeQ5_K:
		return dotQ5_K(n, w, x)
	case gguf.TypeQ6_K:
		return dotQ6_K(n, w, x)
	}
	panic("quant: VecDot: weight type " + t.String() + " not supported")
}

// DotRows sets out[r] = VecDot(t, n, row r of w, x) for r < rows; w holds
// rows consecutive rows of n elements of type t.
func DotRows(t gguf.Type, n int, w []byte, rows int, x []byte, out []float32) {
	rb := RowBytes(t, n)
	if rb < 0 {
		panic("quant: DotRows: bad row length for " + t.String())
	}
	_ = out[:rows]
	for r := 0; r < rows; r++ {
		out[r] = VecDot(t, n, w[r*rb:(r+1)*rb], x)
	}
}

func f32(b []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b)) }
