//go:build (!amd64 && !arm64) || purego

package kernels

import "github.com/hearthlm/hearth/gguf"

// useRepackAsm mirrors the amd64 switch; there is no assembly here, so
// both of its values take the Go path.
var useRepackAsm = true

// RepackDotRowsN sets out[tok*outStride+r], for tok < ntok and r < rows, to
// quant.RepackDotRows' result for weight row r of w (type t: Q4_0 or Q4_K,
// n columns, quant.RepackOK(t, rows, n)) and the prepared activation row
// x[tok*xStride:] (see repackPrepare), in gemm order for tok < gemmRows
// (a multiple of 4, quant.RepackGemmRows) and gemv order for the others.
// Without assembly it is quant.RepackDotRows per token.
func RepackDotRowsN(t gguf.Type, n int, w []byte, rows int, x []byte, xStride, ntok, gemmRows int, out []float32, outStride int) {
	if rows <= 0 || ntok <= 0 {
		return
	}
	checkRepackArgs(t, n, w, rows, x, xStride, ntok, gemmRows, out, outStride)
	repackRowsGo(t, n, w, rows, x, xStride, ntok, gemmRows, out, outStride)
}
