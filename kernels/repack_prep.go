package kernels

import (
	"encoding/binary"
	"math"

	"github.com/hearthlm/hearth/gguf"
	"github.com/hearthlm/hearth/quant"
)

// Activation rows for the repacked-order products (RepackDotRowsN) are
// "prepared" rows: the row quantized to quant.VecDotType(t) (by
// quant.QuantizeRowRepack for gemm tokens, quant.QuantizeRow for the
// others), followed for Q4_0 weights by two 32-bit words per Q8_0 block that
// the assembly reads instead of recomputing them for every group of weight
// rows: the block's scale as a float32 and 8 times the sum of its 32 quants
// as an int32 (the Q4_0 kernel multiplies the unsigned nibbles q and takes
// Σ(q-8)·a as Σq·a - 8·Σa, both exact).

// repackRowBytes returns the length of a prepared activation row for
// rows×n weights of type t (quant.RepackOK).
func repackRowBytes(t gguf.Type, n int) int {
	rb := quant.RowBytes(quant.VecDotType(t), n)
	if t == gguf.TypeQ4_0 {
		rb += 8 * (n / 32)
	}
	return rb
}

// repackPrepare writes the extra words of the prepared row row, whose first
// quant.RowBytes(quant.VecDotType(t), n) bytes hold the quantized
// activations.
func repackPrepare(t gguf.Type, n int, row []byte) {
	if t != gguf.TypeQ4_0 {
		return
	}
	nb := n / 32
	q, aux := row[:34*nb], row[34*nb:34*nb+8*nb]
	for b := 0; b < nb; b++ {
		blk := q[34*b : 34*b+34]
		var s int32
		for _, v := range blk[2:] {
			s += int32(int8(v))
		}
		d := quant.FP16ToFP32(binary.LittleEndian.Uint16(blk))
		binary.LittleEndian.PutUint32(aux[8*b:], math.Float32bits(d))
		binary.LittleEndian.PutUint32(aux[8*b+4:], uint32(8*s))
	}
}

// repackRowsGo is RepackDotRowsN in Go: quant.RepackDotRows per token.
func repackRowsGo(t gguf.Type, n int, w []byte, rows int, x []byte, xStride, ntok, gemmRows int, out []float32, outStride int) {
	qrb := quant.RowBytes(quant.VecDotType(t), n)
	for tok := 0; tok < ntok; tok++ {
		quant.RepackDotRows(t, n, w, rows, x[tok*xStride:tok*xStride+qrb], out[tok*outStride:tok*outStride+rows], tok < gemmRows)
	}
}

// checkRepackArgs panics, as quant.RepackDotRows would, when a buffer is
// too short or the shape is not one ggml repacks.
func checkRepackArgs(t gguf.Type, n int, w []byte, rows int, x []byte, xStride, ntok, gemmRows int, out []float32, outStride int) {
	if !quant.RepackOK(t, rows, n) || gemmRows%4 != 0 || gemmRows > ntok {
		panic("kernels: RepackDotRowsN: " + t.String() + " shape not repacked by ggml")
	}
	xrb := repackRowBytes(t, n)
	if len(w) < rows*quant.RowBytes(t, n) || xStride < xrb || len(x) < (ntok-1)*xStride+xrb ||
		outStride < rows || len(out) < (ntok-1)*outStride+rows {
		panic("kernels: RepackDotRowsN: " + t.String() + " buffers too short")
	}
}
