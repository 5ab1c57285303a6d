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
// Σ(q-8)·a as Σq·a - 8·Σa, both exact); for Q4_K weights, 128 bytes per
// super-block that the gemv-order kernels multiply with the rows' sub-block
// mins: four vectors of eight equal words, vector p holding the quant sums
// of sub-blocks 2p and 2p+1 as two int16 (the block sums added in pairs,
// each within ±4096).

// repackRowBytes returns the length of a prepared activation row for
// rows×n weights of type t (quant.RepackOK).
func repackRowBytes(t gguf.Type, n int) int {
	rb := quant.RowBytes(quant.VecDotType(t), n)
	switch t {
	case gguf.TypeQ4_0:
		rb += 8 * (n / 32)
	case gguf.TypeQ4_K:
		rb += 128 * (n / 256)
	}
	return rb
}

// repackPrepare writes the extra words of the prepared row row, whose first
// quant.RowBytes(quant.VecDotType(t), n) bytes hold the quantized
// activations.
func repackPrepare(t gguf.Type, n int, row []byte) {
	if t == gguf.TypeQ4_K {
		prepareQ4K(n, row)
		return
	}
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

// prepareQ4K writes the sub-block sums of the Q8_K row's super-blocks
// after it (see repackRowBytes).
func prepareQ4K(n int, row []byte) {
	const bb = q8KBlockBytes
	nb := n / 256
	q, aux := row[:bb*nb], row[bb*nb:bb*nb+128*nb]
	for b := 0; b < nb; b++ {
		sums := q[bb*b+q8KSums : bb*b+bb]
		for p := 0; p < 4; p++ {
			var w [2]uint16
			for h := range w {
				j := 2*p + h // sub-block j: block sums 2j and 2j+1
				s0 := int16(binary.LittleEndian.Uint16(sums[4*j:]))
				s1 := int16(binary.LittleEndian.Uint16(sums[4*j+2:]))
				w[h] = uint16(s0 + s1)
			}
			v := aux[128*b+32*p : 128*b+32*p+32]
			for i := 0; i < 32; i += 4 {
				binary.LittleEndian.PutUint16(v[i:], w[0])
				binary.LittleEndian.PutUint16(v[i+2:], w[1])
			}
		}
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
