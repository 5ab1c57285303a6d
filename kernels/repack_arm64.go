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

// The Gemm4 kernels take four tokens at once, each weight row decoded once
// for all four: token t's prepared row at x + t*xStride, its results at
// out + t*outStride (strides in bytes). Q4_K's is in gemm order; Q4_0 has
// one order.

//go:noescape
func repackQ4KGemm4SDOT(w, x *byte, xStride int, out *float32, outStride, rows, nb int)

//go:noescape
func repackQ4KGemm4NEON(w, x *byte, xStride int, out *float32, outStride, rows, nb int)

//go:noescape
func repackQ4_0Gemm4SDOT(w, x *byte, xStride int, out *float32, outStride, rows, nb int)

//go:noescape
func repackQ4_0Gemm4NEON(w, x *byte, xStride int, out *float32, outStride, rows, nb int)

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
	tok := 0
	switch t {
	case gguf.TypeQ4_K:
		k, k4 := repackQ4KRowsNEON, repackQ4KGemm4NEON
		if useSDOT {
			k, k4 = repackQ4KRowsSDOT, repackQ4KGemm4SDOT
		}
		for ; tok+4 <= gemmRows; tok += 4 {
			k4(wp, &x[tok*xStride], xStride, &out[tok*outStride], 4*outStride, rows, n/256)
		}
		for ; tok < ntok; tok++ {
			gemm := 0
			if tok < gemmRows {
				gemm = 1
			}
			k(wp, &x[tok*xStride], &out[tok*outStride], rows, n/256, gemm)
		}
	case gguf.TypeQ4_0:
		k, k4 := repackQ4_0RowsNEON, repackQ4_0Gemm4NEON
		if useSDOT {
			k, k4 = repackQ4_0RowsSDOT, repackQ4_0Gemm4SDOT
		}
		// One order for every token: groups of four wherever there are.
		for ; tok+4 <= ntok; tok += 4 {
			k4(wp, &x[tok*xStride], xStride, &out[tok*outStride], 4*outStride, rows, n/32)
		}
		for ; tok < ntok; tok++ {
			k(wp, &x[tok*xStride], &out[tok*outStride], rows, n/32)
		}
	default:
		// checkRepackArgs admits only Q4_0 and Q4_K.
		panic("kernels: RepackDotRowsN: " + t.String())
	}
}
