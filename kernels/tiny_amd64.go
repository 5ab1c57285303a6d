//go:build amd64 && !purego

package kernels

import (
	"unsafe"

	"github.com/hearthlm/hearth/gguf"
	"github.com/hearthlm/hearth/quant"
)

// tinyAsm reports whether TinyDotRowsFast has assembly on this machine.
func tinyAsm() bool { return useAVX2 }

//go:noescape
func tinyRows4F32AVX2(w *byte, stride int, x *byte, out *float32, n8 int)

//go:noescape
func tinyRows4F16AVX2(w *byte, stride int, x *byte, out *float32, n8 int)

//go:noescape
func tinyRows4BF16AVX2(w *byte, stride int, x *byte, out *float32, n8 int)

// TinyDotRowsFast sets out[r] = quant.TinyDot(t, n, row r of w, x) for r <
// rows, four rows per assembly call, bit-identical to quant.TinyDotRows,
// and reports whether it did: it returns false, touching nothing, when the
// machine lacks AVX2/FMA/F16C or t, n or rows are not ones
// quant.TinyDotOK accepts.
func TinyDotRowsFast(t gguf.Type, n int, w []byte, rows int, x []byte, out []float32) bool {
	if !useAVX2 || n <= 0 || !quant.TinyDotOK(t, n, rows) {
		return false
	}
	var k func(w *byte, stride int, x *byte, out *float32, n8 int)
	switch t {
	case gguf.TypeF32:
		k = tinyRows4F32AVX2
	case gguf.TypeF16:
		k = tinyRows4F16AVX2
	case gguf.TypeBF16:
		k = tinyRows4BF16AVX2
	default:
		return false
	}
	rb := quant.RowBytes(t, n)
	if rows <= 0 {
		return true
	}
	if len(w) < rows*rb || len(x) < rb || len(out) < rows {
		panic("kernels: TinyDotRowsFast: " + t.String() + " buffers too short")
	}
	for r := 0; r < rows; r += 4 {
		k(&w[r*rb], rb, unsafe.SliceData(x), &out[r], n/8)
	}
	return true
}
