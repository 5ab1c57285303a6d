package kernels

import (
	"unsafe"

	"github.com/hearthlm/hearth/gguf"
	"github.com/hearthlm/hearth/quant"
)

// rowKernel is an assembly row-dot kernel (fastKernel): out[r] for rows
// weight rows of nb steps each against one activation row.
type rowKernel func(w, x *byte, out *float32, rows, nb int)

// DotRowsFast sets out[r] = quant.VecDot(t, n, row r of w, x) for r < rows,
// with the assembly kernel for t, and reports whether it did: it returns
// false, touching nothing, when there is no kernel for t on this machine
// (or for F16/BF16 rows whose length is not a multiple of 32, and F32 rows
// of 32 elements or fewer that are not). The results are bit-identical to
// quant.DotRows. It panics, as quant.DotRows does, when w, x or out are too
// short.
func DotRowsFast(t gguf.Type, n int, w []byte, rows int, x []byte, out []float32) bool {
	k, elems, wb, xb := fastKernel(t)
	if k != nil && t == gguf.TypeF32 && n > elems && n%elems != 0 {
		dotRowsF32Tail(k, n, w, rows, x, out)
		return true
	}
	if k == nil || n <= 0 || n%elems != 0 {
		return false
	}
	if rows <= 0 {
		return true
	}
	nb := n / elems
	if len(w) < rows*nb*wb || len(x) < nb*xb || len(out) < rows {
		panic("kernels: DotRowsFast: " + t.String() + " buffers too short")
	}
	k(unsafe.SliceData(w), unsafe.SliceData(x), unsafe.SliceData(out), rows, nb)
	return true
}

// dotRowsF32Tail is DotRowsFast for F32 rows whose length n is over 32
// but not a multiple of it: the F32 kernel k sums the first n - n%32
// elements of each row in ggml's lanes, quant.DotF32Tail adds the rest as
// ggml_vec_dot_f32's leftover loop does.
func dotRowsF32Tail(k rowKernel, n int, w []byte, rows int, x []byte, out []float32) {
	np := n &^ 31
	if len(w) < rows*4*n || len(x) < 4*n || len(out) < rows {
		panic("kernels: DotRowsFast: F32 buffers too short")
	}
	for r := 0; r < rows; r++ {
		wr := w[r*4*n : (r+1)*4*n]
		k(unsafe.SliceData(wr), unsafe.SliceData(x), &out[r], 1, np/32)
		out[r] = quant.DotF32Tail(out[r], np, n, wr, x)
	}
}

// dotRowsF32TailN does DotRowsFastN's work for ntok tokens by
// dotRowsF32Tail when that is the path for t and n (k: fastKernel(t)), and
// reports whether it did.
func dotRowsF32TailN(k rowKernel, t gguf.Type, n int, w []byte, rows int, x []byte, xStride, ntok int, out []float32, outStride int) bool {
	if k == nil || t != gguf.TypeF32 || n <= 32 || n%32 == 0 {
		return false
	}
	for tok := 0; tok < ntok; tok++ {
		dotRowsF32Tail(k, n, w, rows, x[tok*xStride:], out[tok*outStride:tok*outStride+rows])
	}
	return true
}
