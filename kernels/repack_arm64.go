//go:build arm64 && !purego

package kernels

import (
	"unsafe"

	"github.com/hearthlm/hearth/gguf"
)

// useRepackAsm selects the assembly for RepackDotRowsN (tests switch it
// off to check the Go path).
var useRepackAsm = true

// The kernels compute rows weight rows (consecutive, nb blocks each)
// against one prepared activation row x, in the order of ggml-cpu's
// repacked kernels (quant.RepackDotRows), one scalar accumulator per row:
// see dot_arm64.s. For Q4_K, gemm != 0 selects the gemm order, 0 the gemv
// order; Q4_0 has one order. The ...SDOT variants need dotprod.

//go:noescape
func repackQ4KRowsSDOT(w, x *byte, out *float32, rows, nb, gemm int)

//go:noescape
func repackQ4KRowsNEON(w, x *byte, out *float32, rows, nb, gemm int)

//go:noescape
func repackQ4_0RowsSDOT(w, x *byte, out *float32, rows, nb int)

//go:noescape
func repackQ4_0RowsNEON(w, x *byte, out *float32, rows, nb int)

// RepackDotRowsN sets out[tok*outStride+r], for tok < ntok and r < rows, to
// quant.RepackDotRows' result for weight row r of w (type t: Q4_0 or Q4_K,
// n columns, quant.RepackOK(t, rows, n)) and the prepared activation row
// x[tok*xStride:] (see repackPrepare), in gemm order for tok < gemmRows
// (a multiple of 4, quant.RepackGemmRows) and gemv order for the others.
// Results are bit-identical to quant.RepackDotRows.
func RepackDotRowsN(t gguf.Type, n int, w []byte, rows int, x []byte, xStride, ntok, gemmRows int, out []float32, outStride int) {
	if rows <= 0 || ntok <= 0 {
		return
	}
	checkRepackArgs(t, n, w, rows, x, xStride, ntok, gemmRows, out, outStride)
	if !useNEON || !useRepackAsm {
		repackRowsGo(t, n, w, rows, x, xStride, ntok, gemmRows, out, outStride)
		return
	}
	wp := unsafe.SliceData(w)
	switch t {
	case gguf.TypeQ4_K:
		k := repackQ4KRowsNEON
		if useSDOT {
			k = repackQ4KRowsSDOT
		}
		for tok := 0; tok < ntok; tok++ {
			gemm := 0
			if tok < gemmRows {
				gemm = 1
			}
			k(wp, &x[tok*xStride], &out[tok*outStride], rows, n/256, gemm)
		}
	case gguf.TypeQ4_0:
		k := repackQ4_0RowsNEON
		if useSDOT {
			k = repackQ4_0RowsSDOT
		}
		for tok := 0; tok < ntok; tok++ {
			k(wp, &x[tok*xStride], &out[tok*outStride], rows, n/32)
		}
	default:
		// checkRepackArgs admits only Q4_0 and Q4_K.
		panic("kernels: RepackDotRowsN: " + t.String())
	}
}
