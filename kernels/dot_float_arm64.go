//go:build arm64 && !purego

package kernels

import (
	"unsafe"

	"github.com/hearthlm/hearth/gguf"
	"github.com/hearthlm/hearth/quant"
)

// F32, F16 and BF16 kernels (dot_float_arm64.s). The dotRows kernels take
// nb groups of 32 elements per row, in quant.VecDot's order; the tinyRows
// kernels n8 steps of 8, in quant.TinyDot's. Rows are consecutive; rows,
// nb and n8 must be at least 1.

//go:noescape
func dotRowsF32NEON(w, x *byte, out *float32, rows, nb int)

//go:noescape
func dotRowsF16NEON(w, x *byte, out *float32, rows, nb int)

//go:noescape
func dotRowsBF16NEON(w, x *byte, out *float32, rows, nb int)

//go:noescape
func tinyRowsF32NEON(w, x *byte, out *float32, rows, n8 int)

//go:noescape
func tinyRowsF16NEON(w, x *byte, out *float32, rows, n8 int)

//go:noescape
func tinyRowsBF16NEON(w, x *byte, out *float32, rows, n8 int)

// tinyAsm reports whether TinyDotRowsFast has assembly on this machine.
func tinyAsm() bool { return useNEON }

// TinyDotRowsFast sets out[r] = quant.TinyDot(t, n, row r of w, x) for r <
// rows, bit-identical to quant.TinyDotRows, and reports whether it did: it
// returns false, touching nothing, when the machine lacks NEON or t, n or
// rows are not ones quant.TinyDotOK accepts.
func TinyDotRowsFast(t gguf.Type, n int, w []byte, rows int, x []byte, out []float32) bool {
	if !useNEON || n <= 0 || !quant.TinyDotOK(t, n, rows) {
		return false
	}
	var k func(w, x *byte, out *float32, rows, n8 int)
	switch t {
	case gguf.TypeF32:
		k = tinyRowsF32NEON
	case gguf.TypeF16:
		k = tinyRowsF16NEON
	case gguf.TypeBF16:
		k = tinyRowsBF16NEON
	default:
		return false
	}
	if rows <= 0 {
		return true
	}
	rb := quant.RowBytes(t, n)
	if len(w) < rows*rb || len(x) < rb || len(out) < rows {
		panic("kernels: TinyDotRowsFast: " + t.String() + " buffers too short")
	}
	k(unsafe.SliceData(w), unsafe.SliceData(x), unsafe.SliceData(out), rows, n/8)
	return true
}
