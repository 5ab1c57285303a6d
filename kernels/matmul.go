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
	q      [maxSet][]byte  // quantized activations, one buffer per format
	pad    [maxSet][]byte  // their padded Q8_K copies (padQ8KRow), where taken
	bounds [maxSet][]int32 // decode chunk boundaries, per matrix
	qt     quantTask
	dt     [maxSet]dotTask
	st     setTask
}

func (ws *Workspace) bytes(i, n int) []byte {
	if cap(ws.q[i]) < n {
		ws.q[i] = make([]byte, n)
	}
	return ws.q[i][:n]
}

// maxSet is the most matrices one MatMulSet multiplies.
const maxSet = 3

// rowsPerChunk is the number of weight rows one claimed chunk of a prompt
// product covers, and the unit of a decode chunk.
const rowsPerChunk = 16

// Decode products (fewer than guidedTokens tokens: one decoding sequence,
// or a batch of a few) read every weight once, and with one token are bound
// by memory bandwidth. Their rows are claimed in chunks that shrink
// as the product proceeds ("guided" scheduling): each chunk takes about
// 1/(2·threads) of the rows still unclaimed, at most decodeChunkMaxBytes
// of weights and at least decodeChunkMinBytes. Long chunks early keep each
// thread on one long stream for the hardware prefetcher (and keep the
// kernels' prefetch of the next rows on the thread's own rows): with
// 32 KiB chunks two threads read Q4_K at 7–9 GB/s here, with 128–256 KiB
// at 13–14. Short chunks at the end keep the threads' shares even when one
// of them was descheduled. A row's result does not depend on its chunk.
const (
	decodeChunkMaxBytes = 256 << 10
	decodeChunkMinBytes = 32 << 10
)

// guidedTokens: products of fewer tokens than this take guided row chunks
// (decodeBounds), more take rowsPerChunk rows × tokensPerChunk tokens.
const guidedTokens = 16

// decodeChunk is decodeChunkMaxBytes, a variable for benchmarks to compare.
var decodeChunk = decodeChunkMaxBytes

// decodeBounds appends to b[:0] the row boundaries of the chunks of a
// decode product of w with ntok tokens on the given thread count: chunk c
// covers rows b[c] to b[c+1]. Boundaries are multiples of rowsPerChunk
// (repacked groups of eight rows stay whole) except the last. The
// shortest chunks hold decodeChunkMinBytes/ntok of weights: a batch of
// decoding sequences spends ntok times longer on each byte, and the last
// chunks set how long one thread waits for the other at the end.
func decodeBounds(b []int32, w *Matrix, threads, ntok int) []int32 {
	unit := w.RowBytes * rowsPerChunk
	hi := max(1, decodeChunk/unit) * rowsPerChunk
	lo := min(hi, max(1, decodeChunkMinBytes/max(1, ntok)/unit)*rowsPerChunk)
	b = append(b[:0], 0)
	for r := 0; r < w.Rows; {
		n := (w.Rows - r) / (2 * threads) / rowsPerChunk * rowsPerChunk
		n = min(max(n, lo), hi)
		r = min(r+n, w.Rows)
		b = append(b, int32(r))
	}
	return b
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
	norm      Norm      // when set, x[t] = RMSNorm(norm.In[t]) first
	up        []float32 // when set, x[t] = SiLUMul(x[t], up[t]) first
	// Rows t < padRows are also copied to xp[t*xpStride:] in padded Q8_K
	// blocks (padQ8KRow).
	xp                []byte
	xpStride, padRows int
}

func (q *quantTask) RunChunk(_, t int) {
	src, dst := q.x[t*q.cols:(t+1)*q.cols], q.xq[t*q.qrb:(t+1)*q.qrb]
	if q.norm.W != nil {
		in := q.norm.In[t*q.cols : (t+1)*q.cols]
		if q.norm.Res != nil {
			Add(in, q.norm.Res[t*q.cols:(t+1)*q.cols])
		}
		RMSNorm(src, in, q.norm.W, q.norm.Eps)
	}
	if q.up != nil {
		SiLUMul(src, q.up[t*q.cols:(t+1)*q.cols])
	}
	switch {
	case !q.repack:
		quantizeRow(q.vt, src, dst)
	case t < q.gemmRows:
		if err := quant.QuantizeRowRepack(q.vt, src, dst); err != nil {
			panic(err)
		}
	default:
		quantizeRow(q.vt, src, dst)
	}
	if q.repack {
		repackPrepare(q.wt, q.cols, dst)
	}
	if t < q.padRows {
		padQ8KRow(q.xp[t*q.xpStride:(t+1)*q.xpStride], dst[:q.cols/256*q8KBlockBytes])
	}
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
// group), or for a decode product the rows bounds[c] to bounds[c+1]. Every
// output is computed by one kernel call whose steps do not depend on the
// split, so results are the same at any thread count.
type dotTask struct {
	w      *Matrix
	xq     []byte
	qrb    int
	n      int
	groups int
	rows   int     // weight rows per chunk of a prompt product (rowsPerChunk)
	bounds []int32 // chunk boundaries of a decode product (decodeBounds), or nil
	out    []float32
	// tiny: tokens below tinyRows take tinyBLAS's order (F32/F16/BF16
	// weights, quant.TinyDotOK), the others vec_dot's.
	tinyRows int
	// repack: the weights are ones ggml-cpu repacks (quant.RepackOK);
	// tokens below gemmRows take its gemm order, the rest its gemv order.
	repack   bool
	gemmRows int
	// xp: the activations of tokens below n/8*8 in padded Q8_K rows,
	// xpStride bytes apart, for the eight-token kernel (padQ8K), or nil.
	xp       []byte
	xpStride int
}

func (d *dotTask) RunChunk(_, c int) {
	w := d.w
	rc, tg := c/d.groups, c%d.groups
	r0 := rc * d.rows
	r1 := min(r0+d.rows, w.Rows)
	if d.bounds != nil {
		r0, r1 = int(d.bounds[c]), int(d.bounds[c+1])
	}
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
	tiny := min(max(d.tinyRows-t0, 0), nt)
	for t := 0; t < tiny; t++ {
		x, o := xq[t*d.qrb:(t+1)*d.qrb], out[t*w.Rows+r0:t*w.Rows+r1]
		if !TinyDotRowsFast(w.Type, w.Cols, wb, r1-r0, x, o) {
			quant.TinyDotRows(w.Type, w.Cols, wb, r1-r0, x, o)
		}
	}
	if tiny == nt {
		return
	}
	xq, out, nt = xq[tiny*d.qrb:], out[tiny*w.Rows:], nt-tiny
	if d.xp != nil && tiny == 0 {
		// Groups of eight tokens from padded rows; a group starts at a
		// multiple of eight, so all its tokens are below n/8*8.
		k8 := nt / 8 * 8
		dotRows8Padded(w.Type, w.Cols, wb, r1-r0, d.xp[t0*d.xpStride:], d.xpStride, k8, out[r0:], w.Rows)
		xq, out, nt = xq[k8*d.qrb:], out[k8*w.Rows:], nt-k8
		if nt == 0 {
			return
		}
	}
	if DotRowsFastN(w.Type, w.Cols, wb, r1-r0, xq, d.qrb, nt, out[r0:], w.Rows) {
		return
	}
	xrb := quant.RowBytes(quant.VecDotType(w.Type), w.Cols)
	for t := 0; t < nt; t++ {
		quant.DotRows(w.Type, w.Cols, wb, r1-r0, xq[t*d.qrb:t*d.qrb+xrb], out[t*w.Rows+r0:t*w.Rows+r1])
	}
}

// BatchRows says which of a product's activation rows ggml computes as
// parts of a batch of one sequence's tokens. A row's numbers depend on that
// (ggml multiplies a batch with other kernels than one token, and they sum
// in other orders): rows [0, Grouped) are the four-token groups of
// sequences with four or more rows in the batch (for the weights ggml
// repacks, its gemm order), rows [Grouped, Batched) the other rows of
// sequences with two or more (for F32/F16/BF16 weights, tinyBLAS's order),
// and rows from Batched on are single tokens (vec_dot's or gemv's order).
// A batch whose rows are ordered so gives every row the numbers it gets in
// a product of its own sequence's rows alone (see model.Order).
type BatchRows struct{ Grouped, Batched int }

// OneSequence is the BatchRows of n rows of one sequence: ggml's gemm on
// the first n - n%4 when n ≥ 4, tinyBLAS on all when n ≥ 2.
func OneSequence(n int) BatchRows {
	r := BatchRows{Grouped: quant.RepackGemmRows(n)}
	if n >= 2 {
		r.Batched = n
	}
	return r
}

// MatMul computes out[t][r] = dot(W row r, x[t]) for n activation rows x
// (n×Cols, row-major) into out (n×Rows, row-major), the rows being n
// tokens of one sequence (MatMulRows with OneSequence(n)).
func (p *Pool) MatMul(ws *Workspace, w *Matrix, x []float32, n int, out []float32) {
	p.MatMulRows(ws, w, x, n, OneSequence(n), out)
}

// MatMulRows is MatMul for activation rows of several sequences, laid out
// as br says. Activations are first converted to the type ggml pairs with
// the weight type, as ggml does, so the rounding matches llama.cpp's. For
// F32/F16/BF16 weights the batched rows follow tinyBLAS's summation order,
// as ggml's batched path does; for the Q4_0/Q4_K weights ggml-cpu repacks
// on AVX2 (quant.RepackOK), its gemm order for grouped rows and gemv order
// for the others (RepackDotRowsN); otherwise vec_dot's (assembly where
// available, bit-identical to the Go reference).
func (p *Pool) MatMulRows(ws *Workspace, w *Matrix, x []float32, n int, br BatchRows, out []float32) {
	p.matMulSet(ws, x, n, br, Norm{}, nil, [maxSet]*Matrix{w}, [maxSet][]float32{out})
}

// MatMulSet is MatMulRows for two or three matrices with the same columns
// and the same activations (a layer's q, k and v projections, or its gate
// and up projections), as one job: the activations are converted once per
// type the matrices need, and the threads take the chunks of all the
// products without waiting between them. c and oc may be nil. With norm
// set, the activation rows are first computed as x[t] = RMSNorm(norm.In[t])
// (kernels.RMSNorm) in the same pass that converts them, after
// norm.In[t] += norm.Res[t] (kernels.Add) when Res is set. Results are those
// of Add, RMSNorm and MatMulRows for each matrix.
func (p *Pool) MatMulSet(ws *Workspace, x []float32, n int, br BatchRows, norm Norm, a, b, c *Matrix, oa, ob, oc []float32) {
	p.matMulSet(ws, x, n, br, norm, nil, [maxSet]*Matrix{a, b, c}, [maxSet][]float32{oa, ob, oc})
}

// Norm asks MatMulSet for the RMS norm of rows In (weights W, epsilon
// Eps) as its activations; the zero Norm asks for none. Res, when set with
// W, is a residual added to In first (In[t] += Res[t]), so that the
// threads do the addition row by row in the same pass.
type Norm struct {
	In, W []float32
	Eps   float32
	Res   []float32
}

// MatMulSwiGLU is MatMulRows of the rows gate[t] = SiLUMul(gate[t], up[t])
// (a feed-forward's down projection), the rows computed in the pass that
// converts them: gate holds them afterwards, as after SiLUMul row by row.
func (p *Pool) MatMulSwiGLU(ws *Workspace, w *Matrix, gate, up []float32, n int, br BatchRows, out []float32) {
	_ = up[:n*w.Cols]
	p.matMulSet(ws, gate, n, br, Norm{}, up, [maxSet]*Matrix{w}, [maxSet][]float32{out})
}

// actFormat says how activations are converted for a weight matrix: to
// type vt, prepared for repacked Q4_0 (aux words), with the first
// gemmRows rows quantized as ggml's repacked gemm does. Matrices with equal
// formats share the converted rows.
type actFormat struct {
	vt       gguf.Type
	q4_0     bool
	gemmRows int
}

// actFormatOf returns the activation format of weights w in a product
// laid out as br, the bytes of a converted row, and whether the weights
// are ones ggml-cpu repacks.
func actFormatOf(w *Matrix, br BatchRows) (f actFormat, qrb int, repack bool) {
	vt := quant.VecDotType(w.Type)
	if quant.RepackOK(w.Type, w.Rows, w.Cols) {
		return actFormat{vt: vt, q4_0: w.Type == gguf.TypeQ4_0, gemmRows: br.Grouped}, repackRowBytes(w.Type, w.Cols), true
	}
	return actFormat{vt: vt}, quant.RowBytes(vt, w.Cols), false
}

// wantsPad reports whether a matrix of ms with activation format f takes
// its groups of eight tokens in padded Q8_K rows (padQ8K).
func wantsPad(ms [maxSet]*Matrix, br BatchRows, f actFormat) bool {
	for _, w := range ms {
		if w != nil && padQ8K(w.Type) {
			if g, _, _ := actFormatOf(w, br); g == f {
				return true
			}
		}
	}
	return false
}

func (p *Pool) matMulSet(ws *Workspace, x []float32, n int, br BatchRows, norm Norm, up []float32, ms [maxSet]*Matrix, outs [maxSet][]float32) {
	if br.Grouped < 0 || br.Grouped%4 != 0 || br.Batched < br.Grouped || br.Batched > n {
		panic(fmt.Sprintf("kernels: MatMulRows: %d rows, %+v", n, br))
	}
	var formats [maxSet]actFormat
	var bufs, pads [maxSet][]byte
	var padStride, qrbs [maxSet]int
	nf := 0
	st := &ws.st
	st.n, st.total = 0, 0
	for i, w := range ms {
		if w == nil {
			continue
		}
		if w.Cols != ms[0].Cols {
			panic(fmt.Sprintf("kernels: MatMulSet: %s has %d columns, %s %d", w.Name, w.Cols, ms[0].Name, ms[0].Cols))
		}
		f, qrb, repack := actFormatOf(w, br)
		k := 0
		for k < nf && formats[k] != f {
			k++
		}
		if k == nf { // a new format: convert the activations to it
			formats[k], qrbs[k] = f, qrb
			bufs[k] = ws.bytes(k, n*qrb)
			ws.qt = quantTask{wt: w.Type, vt: f.vt, x: x, xq: bufs[k], cols: w.Cols, qrb: qrb, repack: repack, gemmRows: f.gemmRows}
			pads[k] = nil
			if n >= 8 && wantsPad(ms, br, f) {
				padStride[k] = w.Cols / 256 * q8KPadBytes
				pads[k] = alignedBytes(&ws.pad[k], n/8*8*padStride[k])
				ws.qt.xp, ws.qt.xpStride, ws.qt.padRows = pads[k], padStride[k], n/8*8
			}
			if k == 0 {
				ws.qt.norm, ws.qt.up = norm, up // the first conversion computes the rows
			}
			if n >= 4 {
				p.RunTask(n, &ws.qt)
			} else {
				for t := 0; t < n; t++ {
					ws.qt.RunChunk(0, t)
				}
			}
			nf++
		}
		// Matrices of one format share its rows, which may be longer
		// than this matrix's kernels read (prepared Q4_K rows, shared
		// with Q6_K's).
		qrb = qrbs[k]
		tinyRows := 0
		if quant.TinyDotOK(w.Type, w.Cols, w.Rows) {
			tinyRows = br.Batched
		}
		// The last group takes the tokens left over (a remainder of fewer
		// than tokensPerChunk/2 joins the group before it).
		groups := max(1, (n+tokensPerChunk/2)/tokensPerChunk)
		d := &ws.dt[st.n]
		*d = dotTask{w: w, xq: bufs[k], qrb: qrb, n: n, groups: groups, rows: rowsPerChunk, out: outs[i],
			tinyRows: tinyRows, repack: repack, gemmRows: f.gemmRows}
		if pads[k] != nil && padQ8K(w.Type) {
			d.xp, d.xpStride = pads[k], padStride[k]
		}
		chunks := groups * ((w.Rows + rowsPerChunk - 1) / rowsPerChunk)
		if n < guidedTokens {
			ws.bounds[st.n] = decodeBounds(ws.bounds[st.n], w, p.threads, n)
			d.bounds = ws.bounds[st.n]
			chunks = len(d.bounds) - 1
		}
		st.first[st.n] = st.total
		st.total += chunks
		st.n++
	}
	st.dt = &ws.dt
	p.RunTask(st.total, st)
	// Drop references to the caller's slices.
	ws.qt, ws.dt, ws.st = quantTask{}, [maxSet]dotTask{}, setTask{}
}

// setTask runs the chunks of up to maxSet products as one job: chunk c is
// chunk c - first[i] of product i, for the last i with first[i] <= c.
type setTask struct {
	dt       *[maxSet]dotTask
	first    [maxSet]int
	n, total int
}

func (s *setTask) RunChunk(worker, c int) {
	i := s.n - 1
	for i > 0 && c < s.first[i] {
		i--
	}
	s.dt[i].RunChunk(worker, c-s.first[i])
}

func quantizeRow(t gguf.Type, src []float32, dst []byte) {
	if err := quant.QuantizeRow(t, src, dst); err != nil {
		// Only reachable through a programming error: the activation
		// types are fixed and the sizes computed above.
		panic(err)
	}
}
