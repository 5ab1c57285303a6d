package kernels

import (
	"fmt"

	"github.com/hearthlm/hearth/gguf"
	"github.com/hearthlm/hearth/quant"
)

// Matrix is a 2-D weight tensor in one of the GGUF block formats, stored
// row-major: Rows rows of Cols elements each, RowBytes bytes per row.
// Data is usually a view into a memory-mapped file.
type Matrix struct {
	Name     string
	Type     gguf.Type
	Rows     int
	Cols     int
	RowBytes int
	Data     []byte
}

// NewMatrix checks that data holds rows×cols elements of type t.
func NewMatrix(name string, t gguf.Type, rows, cols int, data []byte) (*Matrix, error) {
	rb, err := t.RowSize(cols)
	if err != nil {
		return nil, fmt.Errorf("kernels: %s: %w", name, err)
	}
	if len(data) < rb*rows {
		return nil, fmt.Errorf("kernels: %s: %d bytes, want %d for %d×%d %s", name, len(data), rb*rows, rows, cols, t)
	}
	return &Matrix{Name: name, Type: t, Rows: rows, Cols: cols, RowBytes: rb, Data: data[:rb*rows]}, nil
}

// Row returns the raw bytes of row r.
func (m *Matrix) Row(r int) []byte { return m.Data[r*m.RowBytes : (r+1)*m.RowBytes] }

// DequantizeRow writes row r as float32 into dst (len Cols).
func (m *Matrix) DequantizeRow(r int, dst []float32) error {
	return quant.DequantizeRow(m.Type, m.Row(r), dst[:m.Cols])
}

// Workspace holds scratch memory reused across matrix products so that the
// decode loop does not allocate.
type Workspace struct {
	q []byte
}

func (ws *Workspace) bytes(n int) []byte {
	if cap(ws.q) < n {
		ws.q = make([]byte, n)
	}
	return ws.q[:n]
}

// rowsPerChunk is the number of weight rows one claimed chunk covers.
const rowsPerChunk = 16

// MatMul computes out[t][r] = dot(W row r, x[t]) for n activation rows x
// (n×Cols, row-major) into out (n×Rows, row-major). Activations are first
// converted to the type ggml pairs with the weight type, as ggml does, so
// the rounding matches llama.cpp's.
//
// The dot products follow the path ggml-cpu takes on x86 AVX2 for the same
// weight type and batch size, because each path sums in its own order:
//   - F32, F16, BF16 with n >= 2 (and Cols%8 == 0, Rows%4 == 0):
//     llamafile_sgemm's tinyBLAS (quant.TinyDotRows);
//   - everything else: the type's vec_dot (quant.DotRows), which for
//     Q8_0/Q4_0/Q5_0 also equals tinyBLAS_Q0_AVX element for element.
func (p *Pool) MatMul(ws *Workspace, w *Matrix, x []float32, n int, out []float32) {
	vt := quant.VecDotType(w.Type)
	qrb := quant.RowBytes(vt, w.Cols)
	xq := ws.bytes(n * qrb)
	if n >= 4 {
		p.Run(n, func(_, t int) {
			quantizeRow(vt, x[t*w.Cols:(t+1)*w.Cols], xq[t*qrb:(t+1)*qrb])
		})
	} else {
		for t := 0; t < n; t++ {
			quantizeRow(vt, x[t*w.Cols:(t+1)*w.Cols], xq[t*qrb:(t+1)*qrb])
		}
	}
	dot := quant.DotRows
	tiny := n >= 2 && quant.TinyDotOK(w.Type, w.Cols, w.Rows)
	if tiny {
		dot = quant.TinyDotRows
	}
	nChunks := (w.Rows + rowsPerChunk - 1) / rowsPerChunk
	p.Run(nChunks, func(_, c int) {
		r0 := c * rowsPerChunk
		r1 := min(r0+rowsPerChunk, w.Rows)
		wb := w.Data[r0*w.RowBytes : r1*w.RowBytes]
		// The assembly kernels follow the vec_dot order (quant.DotRows),
		// so they stand in for it, not for tinyBLAS.
		if !tiny && DotRowsFastN(w.Type, w.Cols, wb, r1-r0, xq, qrb, n, out[r0:], w.Rows) {
			return
		}
		for t := 0; t < n; t++ {
			dot(w.Type, w.Cols, wb, r1-r0, xq[t*qrb:(t+1)*qrb], out[t*w.Rows+r0:t*w.Rows+r1])
		}
	})
}

func quantizeRow(t gguf.Type, src []float32, dst []byte) {
	if err := quant.QuantizeRow(t, src, dst); err != nil {
		// Only reachable through a programming error: the activation
		// types are fixed and the sizes computed above.
		panic(err)
	}
}
