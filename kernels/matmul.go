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

// Workspace holds scratch memory and the job descriptions reused across
// matrix products, so that a decode step allocates nothing.
type Workspace struct {
	q  []byte
	qt quantTask
	dt dotTask
}

func (ws *Workspace) bytes(n int) []byte {
	if cap(ws.q) < n {
		ws.q = make([]byte, n)
	}
	return ws.q[:n]
}

// rowsPerChunk is the number of weight rows one claimed chunk of a prompt
// product covers, and the unit of a decode chunk.
const rowsPerChunk = 16

// decodeChunkBytes is about how many bytes of weights one claimed chunk of
// a product for fewer than four tokens covers: long enough streams for the
// hardware prefetcher and few claims per matrix, short enough that the
// threads' shares stay even.
const decodeChunkBytes = 32 << 10

// decodeChunk is decodeChunkBytes, a variable for benchmarks to compare.
var decodeChunk = decodeChunkBytes

// chunkRows returns the weight rows per chunk for a product of w with n
// activation rows: rowsPerChunk for prompts, a multiple of it near
// decodeChunkBytes for decode (repacked groups of 8 rows stay whole; a
// row's result does not depend on its chunk).
func chunkRows(w *Matrix, n int) int {
	if n >= 4 {
		return rowsPerChunk
	}
	return max(1, decodeChunk/(w.RowBytes*rowsPerChunk)) * rowsPerChunk
}

// quantTask converts activation row t to the weights' dot-product type.
// Rows below gemmRows are those ggml's repacked product quantizes four at
// a time for its gemm (quant.QuantizeRowRepack). For repacked weights the
// rows are prepared for RepackDotRowsN (repackPrepare).
type quantTask struct {
	wt, vt    gguf.Type
	x         []float32
	xq        []byte
	cols, qrb int
	repack    bool
	gemmRows  int
}

func (q *quantTask) RunChunk(_, t int) {
	src, dst := q.x[t*q.cols:(t+1)*q.cols], q.xq[t*q.qrb:(t+1)*q.qrb]
	if !q.repack {
		quantizeRow(q.vt, src, dst)
		return
	}
	if t < q.gemmRows {
		if err := quant.QuantizeRowRepack(q.vt, src, dst); err != nil {
			panic(err)
		}
	} else {
		quantizeRow(q.vt, src, dst)
	}
	repackPrepare(q.wt, q.cols, dst)
}

// tokensPerChunk is the number of activation rows one claimed chunk of a
// prompt-sized product covers (a multiple of 4, so that every token takes
// the same four-token or one-token kernel as in an unsplit product). Small
// chunks keep the threads' shares even at the end of a product, where a
// thread that was descheduled in the middle of a large chunk would leave the
// other waiting.
const tokensPerChunk = 64

// dotTask computes, for chunk c, rows [rc*rows, …) of the product
// for the tokens of group tg (c = rc*groups + tg, tokensPerChunk tokens per
// group). Every output is computed by one kernel call whose steps do not
// depend on the split, so results are the same at any thread count.
type dotTask struct {
	w      *Matrix
	xq     []byte
	qrb    int
	n      int
	groups int
	rows   int // weight rows per chunk (chunkRows)
	out    []float32
	tiny   bool
	// repack: the weights are ones ggml-cpu repacks (quant.RepackOK);
	// tokens below gemmRows take its gemm order, the rest its gemv order.
	repack   bool
	gemmRows int
}

func (d *dotTask) RunChunk(_, c int) {
	w := d.w
	rc, tg := c/d.groups, c%d.groups
	r0 := rc * d.rows
	r1 := min(r0+d.rows, w.Rows)
	t0 := tg * tokensPerChunk
	t1 := t0 + tokensPerChunk
	if tg == d.groups-1 {
		t1 = d.n
	}
	wb := w.Data[r0*w.RowBytes : r1*w.RowBytes]
	xq, out, nt := d.xq[t0*d.qrb:], d.out[t0*w.Rows:], t1-t0
	if d.repack {
		gemm := min(max(d.gemmRows-t0, 0), nt)
		RepackDotRowsN(w.Type, w.Cols, wb, r1-r0, xq, d.qrb, nt, gemm, out[r0:], w.Rows)
		return
	}
	if d.tiny {
		for t := 0; t < nt; t++ {
			x, o := xq[t*d.qrb:(t+1)*d.qrb], out[t*w.Rows+r0:t*w.Rows+r1]
			if !TinyDotRowsFast(w.Type, w.Cols, wb, r1-r0, x, o) {
				quant.TinyDotRows(w.Type, w.Cols, wb, r1-r0, x, o)
			}
		}
		return
	}
	if DotRowsFastN(w.Type, w.Cols, wb, r1-r0, xq, d.qrb, nt, out[r0:], w.Rows) {
		return
	}
	for t := 0; t < nt; t++ {
		quant.DotRows(w.Type, w.Cols, wb, r1-r0, xq[t*d.qrb:(t+1)*d.qrb], out[t*w.Rows+r0:t*w.Rows+r1])
	}
}

// MatMul computes out[t][r] = dot(W row r, x[t]) for n activation rows x
// (n×Cols, row-major) into out (n×Rows, row-major). Activations are first
// converted to the type ggml pairs with the weight type, as ggml does, so
// the rounding matches llama.cpp's. For F32/F16/BF16 weights and two or
// more rows, the products follow tinyBLAS's summation order, as ggml's
// batched path does; for the Q4_0/Q4_K weights ggml-cpu repacks on AVX2
// (quant.RepackOK), its gemm/gemv order (RepackDotRowsN); otherwise
// vec_dot's (assembly where available, bit-identical to the Go reference).
func (p *Pool) MatMul(ws *Workspace, w *Matrix, x []float32, n int, out []float32) {
	vt := quant.VecDotType(w.Type)
	qrb := quant.RowBytes(vt, w.Cols)
	repack := quant.RepackOK(w.Type, w.Rows, w.Cols)
	gemmRows := 0
	if repack {
		gemmRows = quant.RepackGemmRows(n)
		qrb = repackRowBytes(w.Type, w.Cols)
	}
	xq := ws.bytes(n * qrb)
	ws.qt = quantTask{wt: w.Type, vt: vt, x: x, xq: xq, cols: w.Cols, qrb: qrb, repack: repack, gemmRows: gemmRows}
	if n >= 4 {
		p.RunTask(n, &ws.qt)
	} else {
		for t := 0; t < n; t++ {
			ws.qt.RunChunk(0, t)
		}
	}
	// The last group takes the tokens left over (a remainder of fewer
	// than tokensPerChunk/2 joins the group before it).
	groups := max(1, (n+tokensPerChunk/2)/tokensPerChunk)
	rows := chunkRows(w, n)
	ws.dt = dotTask{w: w, xq: xq, qrb: qrb, n: n, groups: groups, rows: rows, out: out,
		tiny: n >= 2 && quant.TinyDotOK(w.Type, w.Cols, w.Rows), repack: repack, gemmRows: gemmRows}
	p.RunTask(groups*((w.Rows+rows-1)/rows), &ws.dt)
	ws.qt, ws.dt = quantTask{}, dotTask{} // drop references to the caller's slices
}

func quantizeRow(t gguf.Type, src []float32, dst []byte) {
	if err := quant.QuantizeRow(t, src, dst); err != nil {
		// Only reachable through a programming error: the activation
		// types are fixed and the sizes computed above.
		panic(err)
	}
}
