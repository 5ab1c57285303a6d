//go:build amd64 && !purego

package kernels

import (
	"unsafe"

	"github.com/hearthlm/hearth/gguf"
	"github.com/hearthlm/hearth/quant"
)

// useRepackAsm selects the assembly for RepackDotRowsN (tests switch it
// off to check the Go path).
var useRepackAsm = true

// useGemv8 selects the eight-token gemv-order Q4_K kernel (benchmarks
// compare it with two four-token passes).
var useGemv8 = true

// The kernels compute groups×8 weight rows (rowBytes apart; 8 rows per
// group, groups consecutive) against nb blocks of activations, in the
// order of ggml-cpu's repacked kernels (quant.RepackDotRows): see
// repack_amd64.s. Gemv: one token, out[8g+r]. Gemm4: four tokens (in gemm
// order, or each in gemv order when gemv is set), token t's
// prepared activations at x + t*xStride (Q4_0: its aux words at aux +
// t*xStride), its results at out + t*outStride (strides in bytes).

//go:noescape
func repackQ4KGemv(w *byte, rowBytes int, x *byte, out *float32, groups, nb int)

//go:noescape
func repackQ4KGemm4(w *byte, rowBytes int, x *byte, xStride int, out *float32, outStride, groups, nb, gemv int)

//go:noescape
func repackQ4KGemv8(w *byte, rowBytes int, x *byte, xStride int, out *float32, outStride, groups, nb int)

//go:noescape
func repackQ4_0Gemv(w *byte, rowBytes int, x, aux *byte, out *float32, groups, nb int)

//go:noescape
func repackQ4_0Gemm4(w *byte, rowBytes int, x, aux *byte, xStride int, out *float32, outStride, groups, nb int)

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
	if !useAVX2 || !useRepackAsm {
		repackRowsGo(t, n, w, rows, x, xStride, ntok, gemmRows, out, outStride)
		return
	}
	rb, groups := quant.RowBytes(t, n), rows/8
	wp := unsafe.SliceData(w)
	switch t {
	case gguf.TypeQ4_K:
		nb := n / 256
		tok := 0
		for ; tok < gemmRows; tok += 4 {
			repackQ4KGemm4(wp, rb, &x[tok*xStride], xStride, &out[tok*outStride], 4*outStride, groups, nb, 0)
		}
		// Further tokens in eights and fours, each in gemv order: the
		// weights are decoded once for eight or four tokens, the sums are
		// gemv's.
		for ; tok+8 <= ntok && useGemv8; tok += 8 {
			repackQ4KGemv8(wp, rb, &x[tok*xStride], xStride, &out[tok*outStride], 4*outStride, groups, nb)
		}
		for ; tok+4 <= ntok; tok += 4 {
			repackQ4KGemm4(wp, rb, &x[tok*xStride], xStride, &out[tok*outStride], 4*outStride, groups, nb, 1)
		}
		for ; tok < ntok; tok++ {
			repackQ4KGemv(wp, rb, &x[tok*xStride], &out[tok*outStride], groups, nb)
		}
	case gguf.TypeQ4_0:
		nb := n / 32
		tok := 0
		for ; tok < gemmRows; tok += 4 {
			repackQ4_0Gemm4(wp, rb, &x[tok*xStride], &x[tok*xStride+34*nb], xStride, &out[tok*outStride], 4*outStride, groups, nb)
		}
		for ; tok < ntok; tok++ {
			repackQ4_0Gemv(wp, rb, &x[tok*xStride], &x[tok*xStride+34*nb], &out[tok*outStride], groups, nb)
		}
	}
}
