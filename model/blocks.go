package model

import (
	"fmt"
	"math"

	"github.com/hearthlm/hearth/gguf"
	"github.com/hearthlm/hearth/kernels"
)

// Building blocks shared by the decoder-only architectures: hyperparameters
// under llama.cpp's key names, shape checks, scratch buffers and attention
// over the KV cache. Each architecture's forward pass strings them together.

// Trace, when set (by tests comparing with llama.cpp's intermediate
// tensors), is called by the architectures' forward passes with their
// intermediates under the names llama.cpp's graph gives them ("Qcur-0",
// "kqv_out-1", "result_output", ...).
var Trace func(name string, x []float32)

// TraceTensor calls Trace, when set, with name suffixed by "-li" when li
// is not negative.
func TraceTensor(name string, li int, x []float32) {
	if Trace == nil {
		return
	}
	if li >= 0 {
		name = fmt.Sprintf("%s-%d", name, li)
	}
	Trace(name, x)
}

// Hyper are the hyperparameters most decoder architectures store under
// "<arch>.…" keys.
type Hyper struct {
	Arch                                       string
	Embd, Layers, Heads, KVHeads, HeadDim, FFN int
	CtxTrain, RopeDims                         int
	RopeBase, RopeScale, Eps                   float32
	SlidingWindow                              int // 0: none
	AttnSoftcap, FinalSoftcap                  float32
	ValueDim                                   int
	Vocab                                      int // filled by the builder from the embeddings
}

// UintKey reads an unsigned integer key; def applies when it is absent and
// not required.
func UintKey(md gguf.Metadata, k string, def int, required bool) (int, error) {
	v, ok := md.Uint(k)
	if !ok {
		if required {
			return 0, fmt.Errorf("model: metadata key %q is missing", k)
		}
		return def, nil
	}
	if v > 1<<31 {
		return 0, fmt.Errorf("model: metadata key %q = %d is out of range", k, v)
	}
	return int(v), nil
}

// FloatKey reads a float key, def when absent.
func FloatKey(md gguf.Metadata, k string, def float32) float32 {
	if v, ok := md.Float(k); ok {
		return float32(v)
	}
	return def
}

// ReadHyper reads the common hyperparameters of architecture arch, with
// llama.cpp's defaults for the optional ones (eps 1e-5 for RMSNorm, rope
// base 10000, head size embedding/heads).
func ReadHyper(f *gguf.File, arch string) (Hyper, error) {
	md := f.Metadata
	p := Hyper{Arch: arch}
	var err error
	get := func(dst *int, k string, def int, req bool) {
		if err == nil {
			*dst, err = UintKey(md, arch+"."+k, def, req)
		}
	}
	get(&p.Embd, "embedding_length", 0, true)
	get(&p.Layers, "block_count", 0, true)
	get(&p.Heads, "attention.head_count", 0, true)
	get(&p.FFN, "feed_forward_length", 0, true)
	get(&p.CtxTrain, "context_length", 2048, false)
	if err != nil {
		return p, err
	}
	if p.Embd <= 0 || p.Layers <= 0 || p.Heads <= 0 || p.FFN <= 0 {
		return p, fmt.Errorf("%s: embedding %d, layers %d, heads %d, ffn %d: all must be positive", arch, p.Embd, p.Layers, p.Heads, p.FFN)
	}
	get(&p.KVHeads, "attention.head_count_kv", p.Heads, false)
	get(&p.HeadDim, "attention.key_length", p.Embd/p.Heads, false)
	get(&p.ValueDim, "attention.value_length", p.HeadDim, false)
	get(&p.RopeDims, "rope.dimension_count", p.HeadDim, false)
	get(&p.SlidingWindow, "attention.sliding_window", 0, false)
	if err != nil {
		return p, err
	}
	if p.KVHeads <= 0 || p.Heads%p.KVHeads != 0 {
		return p, fmt.Errorf("%s: %d heads cannot share %d KV heads", arch, p.Heads, p.KVHeads)
	}
	if p.HeadDim <= 0 || p.HeadDim%2 != 0 {
		return p, fmt.Errorf("%s: head size %d must be positive and even", arch, p.HeadDim)
	}
	if p.RopeDims <= 0 || p.RopeDims > p.HeadDim || p.RopeDims%2 != 0 {
		return p, fmt.Errorf("%s: rope dimension %d does not fit head size %d", arch, p.RopeDims, p.HeadDim)
	}
	if p.ValueDim != p.HeadDim {
		return p, fmt.Errorf("%s: value head size %d differs from key head size %d", arch, p.ValueDim, p.HeadDim)
	}
	p.RopeBase = FloatKey(md, arch+".rope.freq_base", 10000)
	p.RopeScale = 1
	if v := FloatKey(md, arch+".rope.scale_linear", 0); v != 0 {
		p.RopeScale = 1 / v
	}
	if typ, _ := md.String(arch + ".rope.scaling.type"); typ == "linear" {
		if v := FloatKey(md, arch+".rope.scaling.factor", 0); v != 0 {
			p.RopeScale = 1 / v
		}
	} else if typ != "" && typ != "none" {
		return p, fmt.Errorf("%s: rope scaling %q is not supported", arch, typ)
	}
	p.Eps = FloatKey(md, arch+".attention.layer_norm_rms_epsilon", 1e-5)
	p.AttnSoftcap = FloatKey(md, arch+".attn_logit_softcapping", 0)
	p.FinalSoftcap = FloatKey(md, arch+".final_logit_softcapping", 0)
	return p, nil
}

// Info fills the architecture-independent description of a model.
func (p Hyper) Info(f *gguf.File) Info {
	info := Info{
		Arch: p.Arch, ContextLength: p.CtxTrain, Embedding: p.Embd, Layers: p.Layers, Heads: p.Heads,
		KVHeads: p.KVHeads, HeadDim: p.HeadDim, FFN: p.FFN, Vocab: p.Vocab,
	}
	info.Name, _ = f.Metadata.String("general.name")
	for i := range f.Tensors {
		t := &f.Tensors[i]
		info.Params += int64(t.Elements())
		info.WeightBytes += int64(t.Size)
	}
	return info
}

// MatrixShape returns the 2-D tensor name, checked to be rows×cols.
func MatrixShape(f *gguf.File, name string, rows, cols int) (*kernels.Matrix, error) {
	m, err := Matrix(f, name)
	if err != nil {
		return nil, err
	}
	if m.Rows != rows || m.Cols != cols {
		return nil, fmt.Errorf("model: tensor %q is %d×%d, want %d×%d", name, m.Rows, m.Cols, rows, cols)
	}
	return m, nil
}

// OptionalVector is Vector for a tensor that may be absent (nil, nil then).
func OptionalVector(f *gguf.File, name string, n int) ([]float32, error) {
	if _, ok := f.Tensor(name); !ok {
		return nil, nil
	}
	return Vector(f, name, n)
}

// Grow returns s resized to n, reallocating only when it is too small.
func Grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// CheckBatch checks the batch against the cache and a vocabulary of
// vocab tokens and returns its length and how many of its entries want
// logits.
func CheckBatch(c *Cache, b *Batch, vocab int) (n, nOut int, err error) {
	if err := c.Check(b, vocab); err != nil {
		return 0, 0, err
	}
	return b.Len(), CountLogits(b), nil
}

// NewCache allocates the f16 KV cache of a model with these
// hyperparameters for seqs sequences of ctx positions.
func (p Hyper) NewCache(ctx, seqs int) (*Cache, error) {
	return p.NewCacheOf(KVF16, ctx, seqs)
}

// NewCacheOf allocates a KV cache of type t of a model with these
// hyperparameters for seqs sequences of ctx positions.
func (p Hyper) NewCacheOf(t KVType, ctx, seqs int) (*Cache, error) {
	return NewCacheOf(t, p.Layers, ctx, seqs, p.KVHeads*p.HeadDim, p.HeadDim)
}

// CountLogits is the number of batch entries that want logits.
func CountLogits(b *Batch) int {
	n := 0
	for _, l := range b.Logits {
		if l {
			n++
		}
	}
	return n
}

// Embed writes the embedding rows of the batch's tokens into x (n×cols).
func Embed(embd *kernels.Matrix, b *Batch, x []float32) error {
	E := embd.Cols
	for i, t := range b.Tokens {
		if err := embd.DequantizeRow(int(t), x[i*E:(i+1)*E]); err != nil {
			return fmt.Errorf("model: %s: %w", embd.Name, err)
		}
	}
	return nil
}

// RMSNormRows normalizes n rows of len(w) from x into out.
func RMSNormRows(out, x, w []float32, n int, eps float32) {
	E := len(w)
	for i := 0; i < n; i++ {
		kernels.RMSNorm(out[i*E:(i+1)*E], x[i*E:(i+1)*E], w, eps)
	}
}

// AddBias adds bias to each of the n rows of x.
func AddBias(x, bias []float32, n int) {
	d := len(bias)
	for i := 0; i < n; i++ {
		kernels.Add(x[i*d:(i+1)*d], bias)
	}
}

// Attention runs causal grouped-query attention for a batch over the KV
// cache with per-thread scratch, by the flash-attention path ggml-cpu takes
// for a ubatch of each sequence's rows in the batch (what the sequence gets
// alone): over an f16 cache one_chunk (kernels.AttendOnline) below
// 64 query rows, the tiled path (kernels.AttendTiledHeadsMasked, once per
// KV head for its query heads) from 64 rows on; over a q8_0 cache always
// one_chunk (kernels.AttendOnlineQ8), since ggml's tiled path only takes
// f32 or f16 K and V.
type Attention struct {
	// Softcap, when non-zero, bounds the scaled scores s to
	// Softcap·tanh(s/Softcap) (Gemma 2).
	Softcap float32

	f32  [][]float32 // per worker: the f16-rounded queries of a KV head, or the tiled path's scratch
	acc  [][]uint16  // per worker: the f16 value accumulators of one_chunk, a KV head's query heads
	q8   [][]byte    // per worker, q8_0 cache: the quantized query
	q8f  [][]float32 // per worker, q8_0 cache: scores (a context), the value accumulator and the rotated query
	task attnTask

	rows  []int32 // per sequence: its rows in the batch
	tiled []bool  // per sequence: whether it takes the tiled path
}

// attnTask is one Run: chunk c is batch entry c/per, the query heads of
// its KV head c%per. Attention keeps it so that a Run allocates nothing.
type attnTask struct {
	a                    *Attention
	c                    *Cache
	li                   int
	b                    *Batch
	q, out               []float32
	heads, group, d, kvd int
	scale                float32
	window               int
	// tiled[s]: sequence s takes the tiled path (it has at least
	// kernels.TiledMinRows rows in the batch, over an f16 cache).
	tiled []bool
	per   int // chunks per row: its KV heads
}

func (t *attnTask) RunChunk(s, ch int) {
	c, b, D := t.c, t.b, t.d
	qd, kvd := t.heads*D, t.kvd
	i, kh := ch/t.per, ch%t.per // row, and KV head (f16 caches)
	seq, pos := int(b.Seq[i]), int(b.Pos[i])
	first := 0
	if t.window > 0 && pos+1 > t.window {
		first = pos + 1 - t.window
	}
	softcap := t.a.Softcap
	if c.Type == KVQ8_0 {
		t.runQ8(s, i, kh, seq, first, pos+1-first)
		return
	}
	K, V := c.K[t.li], c.V[t.li]
	f32, acc := t.a.f32[s], t.a.acc[s]
	g := t.group * D
	hd := i*qd + kh*g
	base := (seq*(kvd/D) + kh) * c.Ctx * D // the KV head's cells
	if t.tiled[seq] {
		// ggml's KV tiles start at cell 0 of the sequence; the cells
		// before the window are masked, not skipped.
		kernels.AttendTiledHeadsMasked(t.out[hd:hd+g], t.q[hd:hd+g], t.group, K[base:], V[base:],
			first, pos+1, D, t.scale, softcap, f32)
		return
	}
	kv := base + first*D
	kernels.AttendOnlineGroup(t.out[hd:hd+g], t.q[hd:hd+g], t.group, K[kv:], V[kv:], pos+1-first, D, t.scale, softcap, f32[:g], acc[:g])
}

// runQ8 is RunChunk over a q8_0 cache: one_chunk for each head of batch
// entry i over the n cells from first of sequence seq, with the query
// rotated as the keys were and the output rotated back as the values
// were (see Cache).
func (t *attnTask) runQ8(s, i, kh, seq, first, n int) {
	c, D := t.c, t.d
	qd, rb, kvHeads := t.heads*D, kernels.Q8RowBytes(D), t.kvd/D
	f := t.a.q8f[s]
	scores, acc, qr := f[:c.Ctx], f[c.Ctx:c.Ctx+D], f[c.Ctx+D:c.Ctx+2*D]
	row := ((seq*kvHeads+kh)*c.Ctx + first) * rb
	for h := kh * t.group; h < (kh+1)*t.group; h++ {
		copy(qr, t.q[i*qd+h*D:i*qd+(h+1)*D])
		kernels.FWHTBlocks(qr, c.KRot)
		kernels.AttendOnlineQ8(t.out[i*qd+h*D:i*qd+(h+1)*D], qr, c.K8[t.li][row:row+n*rb], c.V8[t.li][row:row+n*rb], n,
			t.scale, t.a.Softcap, t.a.q8[s], scores, acc)
	}
	// The back-rotation's blocks (VRot) lie within a head, so the KV
	// head's query heads can be rotated back on their own.
	kernels.FWHTBlocks(t.out[i*qd+kh*t.group*D:i*qd+(kh+1)*t.group*D], c.VRot)
}

// StoreKV writes the keys and values of batch entry i (kvd floats each)
// into the cache of layer li: rounded to f16, or rotated (see Cache) and
// quantized to q8_0 head by head as ggml_set_rows does
// (kernels.QuantizeQ8). Batch entries write disjoint cells, so several may
// be stored at once.
func StoreKV(c *Cache, li int, b *Batch, i int, k, v []float32) {
	kvd := c.KVDim
	if c.Type == KVQ8_0 {
		D := c.HeadDim
		rb := kernels.Q8RowBytes(D)
		var buf [256]float32 // one rotated head (head sizes up to 256 stay on the stack)
		rot := buf[:]
		if D > len(buf) {
			rot = make([]float32, D)
		}
		rot = rot[:D]
		for h := 0; h < kvd/D; h++ {
			row := ((int(b.Seq[i])*(kvd/D)+h)*c.Ctx + int(b.Pos[i])) * rb
			copy(rot, k[i*kvd+h*D:i*kvd+(h+1)*D])
			kernels.FWHTBlocks(rot, c.KRot)
			kernels.QuantizeQ8(c.K8[li][row:row+rb], rot)
			copy(rot, v[i*kvd+h*D:i*kvd+(h+1)*D])
			kernels.FWHTBlocks(rot, c.VRot)
			kernels.QuantizeQ8(c.V8[li][row:row+rb], rot)
		}
		return
	}
	// Each KV head's cells are consecutive (as in the q8_0 cache), so that
	// attention streams them.
	D := c.HeadDim
	for h := 0; h < kvd/D; h++ {
		row := ((int(b.Seq[i])*(kvd/D)+h)*c.Ctx + int(b.Pos[i])) * D
		kernels.ToF16(c.K[li][row:row+D], k[i*kvd+h*D:i*kvd+(h+1)*D])
		kernels.ToF16(c.V[li][row:row+D], v[i*kvd+h*D:i*kvd+(h+1)*D])
	}
}

// Run computes out (n × heads·headDim) from the queries q for every batch
// entry over the cached positions 0..pos of its sequence. window > 0 limits
// each query to the last window positions (sliding-window attention). It
// allocates nothing once its scratch fits the pool and head size.
func (a *Attention) Run(pool *kernels.Pool, c *Cache, li int, b *Batch, q, out []float32, heads, kvHeads, headDim int, scale float32, window int) {
	D := headDim
	threads := pool.Threads()
	g := heads / kvHeads * D // a KV head's query heads
	need := max(g, kernels.TiledHeadsScratch(heads/kvHeads, D))
	if len(a.f32) != threads || (threads > 0 && (len(a.acc[0]) != g || len(a.f32[0]) != need)) {
		a.f32 = make([][]float32, threads)
		a.acc = make([][]uint16, threads)
		for i := range a.f32 {
			a.f32[i] = make([]float32, need)
			a.acc[i] = make([]uint16, g)
		}
	}
	if c.Type == KVQ8_0 {
		if len(a.q8) != threads || (threads > 0 && (len(a.q8[0]) != kernels.Q8RowBytes(D) || len(a.q8f[0]) != c.Ctx+2*D)) {
			a.q8 = make([][]byte, threads)
			a.q8f = make([][]float32, threads)
			for i := range a.q8 {
				a.q8[i] = make([]byte, kernels.Q8RowBytes(D))
				a.q8f[i] = make([]float32, c.Ctx+2*D)
			}
		}
	}
	// The path is chosen per sequence, by its rows in the batch, so that a
	// sequence's numbers do not depend on what else the batch carries (see
	// Order): alone, its rows are the ubatch.
	a.rows = grow32(a.rows, c.Seqs)
	clear(a.rows)
	for _, sq := range b.Seq {
		a.rows[sq]++
	}
	if cap(a.tiled) < c.Seqs {
		a.tiled = make([]bool, c.Seqs)
	}
	a.tiled = a.tiled[:c.Seqs]
	for sq, n := range a.rows {
		a.tiled[sq] = c.Type != KVQ8_0 && kernels.UseTiled(int(n), D)
	}
	a.task = attnTask{a: a, c: c, li: li, b: b, q: q, out: out, heads: heads, group: heads / kvHeads, d: D, kvd: kvHeads * D,
		scale: scale, window: window, tiled: a.tiled}
	// Each row's KV heads are chunks of their own, so that a decode
	// step's attention is spread over the threads.
	a.task.per = kvHeads
	pool.RunTask(b.Len()*a.task.per, &a.task)
	a.task = attnTask{} // drop references to the caller's cache and slices
}

// DecoderLayer holds one block of a llama-family decoder. Optional parts
// (biases, per-head q/k norms) are nil when the architecture lacks them.
type DecoderLayer struct {
	AttnNorm, FFNNorm []float32
	QNorm, KNorm      []float32 // per head (HeadDim), Qwen3
	QBias, KBias      []float32 // Qwen2
	VBias             []float32
	Q, K, V, O        *kernels.Matrix
	Gate, Up, Down    *kernels.Matrix
}

// DecoderOptions say which parts a llama-family architecture has.
type DecoderOptions struct {
	QKVBias bool // biases on the q, k and v projections
	QKNorm  bool // RMSNorm over each query and key head before rope
	Neox    bool // rotate (x[i], x[i+d/2]) pairs instead of (x[2i], x[2i+1])
}

// Decoder is a llama-family transformer: pre-norm blocks of grouped-query
// attention with rotary embeddings and a SwiGLU feed-forward network.
type Decoder struct {
	Base
	Opt       DecoderOptions
	Embd      *kernels.Matrix
	OutNorm   []float32
	Out       *kernels.Matrix
	RopeFreqs []float32
	Layers    []DecoderLayer

	buf   struct{ x, xn, q, k, v, at, o, g, u, logits, sel, rope []float32 }
	heads headPrep
}

// headPrep is the work of a layer between its q/k/v products and its
// attention, per batch row (chunk i = row i): the per-head norms and the
// rotation of the row's query and key heads, and the store of its keys
// and values in the cache. Rows are independent, so a batch's rows are
// shared among the pool's threads.
type headPrep struct {
	c                 *Cache
	b                 *Batch
	li                int
	q, k, v, ropes    []float32
	qNorm, kNorm      []float32
	heads, kvHeads, d int
	ropeDims          int
	eps               float32
	rope              func(x, cache []float32, nDims int)
}

func (t *headPrep) RunChunk(_, i int) {
	D, qd, kvd := t.d, t.heads*t.d, t.kvHeads*t.d
	rc := t.ropes[i*t.ropeDims : (i+1)*t.ropeDims]
	for h := 0; h < t.heads; h++ {
		qh := t.q[i*qd+h*D : i*qd+(h+1)*D]
		if t.qNorm != nil {
			kernels.RMSNorm(qh, qh, t.qNorm, t.eps)
		}
		t.rope(qh, rc, t.ropeDims)
	}
	for h := 0; h < t.kvHeads; h++ {
		kh := t.k[i*kvd+h*D : i*kvd+(h+1)*D]
		if t.kNorm != nil {
			kernels.RMSNorm(kh, kh, t.kNorm, t.eps)
		}
		t.rope(kh, rc, t.ropeDims)
	}
	StoreKV(t.c, t.li, t.b, i, t.k, t.v)
}

// run does the n rows on the pool's threads and drops the task's
// references.
func (t *headPrep) run(pool *kernels.Pool, n int) {
	pool.RunTask(n, t)
	*t = headPrep{}
}

// Base is what a model holds besides its weights: the hyperparameters,
// its description, the worker pool with its matmul workspace, the
// attention's scratch and a rope table. It gives the model its Info,
// Close and NewCache methods.
type Base struct {
	P    Hyper
	Pool *kernels.Pool
	WS   kernels.Workspace
	Att  Attention
	Rope []float32 // RopeDims entries, for kernels.RopeCache
	KV   KVType    // the type of the caches NewCache makes ("": f16)
	// Order lays out the rows of the batch being computed (see Order).
	Order Order
	info  Info
}

// NewBase starts the model's worker pool (opts.Threads) and describes the
// model of file f with hyperparameters p.
func NewBase(f *gguf.File, p Hyper, opts Options) Base {
	return Base{P: p, Pool: kernels.NewPool(opts.Threads), Rope: make([]float32, p.RopeDims), KV: opts.KVType, info: p.Info(f)}
}

// Info describes the model.
func (m *Base) Info() Info { return m.info }

// Close stops the model's worker threads.
func (m *Base) Close() { m.Pool.Close() }

// NewCache allocates the model's KV cache, of its KV type.
func (m *Base) NewCache(ctx, seqs int) (*Cache, error) { return m.P.NewCacheOf(m.KV, ctx, seqs) }

// SetKVType sets the type of the caches NewCache makes: f16, or q8_0 when
// the head size is a multiple of 32.
func (m *Base) SetKVType(t KVType) error {
	t, err := ParseKVType(string(t))
	if err != nil {
		return err
	}
	if t == KVQ8_0 && m.P.HeadDim%32 != 0 {
		return fmt.Errorf("%s: a q8_0 KV cache needs a head size that is a multiple of 32, not %d", m.P.Arch, m.P.HeadDim)
	}
	m.KV = t
	return nil
}

// VectorSpec names a 1-D tensor of Len floats for LoadVectors, to be
// stored in *Dst.
type VectorSpec struct {
	Dst  *[]float32
	Name string
	Len  int
}

// MatrixSpec names a Rows×Cols tensor for LoadMatrices, to be stored in
// *Dst.
type MatrixSpec struct {
	Dst        **kernels.Matrix
	Name       string
	Rows, Cols int
}

// LoadVectors loads each of the vectors, checking its length.
func LoadVectors(f *gguf.File, specs ...VectorSpec) error {
	for _, w := range specs {
		v, err := Vector(f, w.Name, w.Len)
		if err != nil {
			return err
		}
		*w.Dst = v
	}
	return nil
}

// LoadMatrices loads each of the matrices, checking its shape.
func LoadMatrices(f *gguf.File, specs ...MatrixSpec) error {
	for _, w := range specs {
		m, err := MatrixShape(f, w.Name, w.Rows, w.Cols)
		if err != nil {
			return err
		}
		*w.Dst = m
	}
	return nil
}

// LoadHead loads the token embeddings (token_embd, rows of p.Embd), the
// final norm (output_norm) and the output head (output, or the tied
// embeddings when the file has none), and sets p.Vocab to the number of
// embedding rows.
func LoadHead(f *gguf.File, p *Hyper) (embd *kernels.Matrix, outNorm []float32, out *kernels.Matrix, err error) {
	if embd, err = Matrix(f, "token_embd.weight"); err != nil {
		return nil, nil, nil, err
	}
	if embd.Cols != p.Embd {
		return nil, nil, nil, fmt.Errorf("%s: token_embd.weight has rows of %d, want the embedding size %d", p.Arch, embd.Cols, p.Embd)
	}
	p.Vocab = embd.Rows
	if outNorm, err = Vector(f, "output_norm.weight", p.Embd); err != nil {
		return nil, nil, nil, err
	}
	out = embd
	if _, ok := f.Tensor("output.weight"); ok {
		if out, err = MatrixShape(f, "output.weight", p.Vocab, p.Embd); err != nil {
			return nil, nil, nil, err
		}
	}
	return embd, outNorm, out, nil
}

// NewDecoder loads the tensors of a llama-family model with llama.cpp's
// GGUF names (no weights are copied).
func NewDecoder(f *gguf.File, p Hyper, o DecoderOptions, opts Options) (*Decoder, error) {
	m := &Decoder{Opt: o}
	var err error
	if m.Embd, m.OutNorm, m.Out, err = LoadHead(f, &p); err != nil {
		return nil, err
	}
	m.Base.P = p
	if m.RopeFreqs, err = OptionalVector(f, "rope_freqs.weight", p.RopeDims/2); err != nil {
		return nil, err
	}
	qd, kvd := p.Heads*p.HeadDim, p.KVHeads*p.HeadDim
	m.Layers = make([]DecoderLayer, p.Layers)
	for i := range m.Layers {
		l := &m.Layers[i]
		name := func(s string) string { return fmt.Sprintf("blk.%d.%s", i, s) }
		vecs := []VectorSpec{{&l.AttnNorm, name("attn_norm.weight"), p.Embd}, {&l.FFNNorm, name("ffn_norm.weight"), p.Embd}}
		if o.QKNorm {
			vecs = append(vecs, VectorSpec{&l.QNorm, name("attn_q_norm.weight"), p.HeadDim}, VectorSpec{&l.KNorm, name("attn_k_norm.weight"), p.HeadDim})
		}
		if o.QKVBias {
			vecs = append(vecs, VectorSpec{&l.QBias, name("attn_q.bias"), qd}, VectorSpec{&l.KBias, name("attn_k.bias"), kvd}, VectorSpec{&l.VBias, name("attn_v.bias"), kvd})
		}
		if err := LoadVectors(f, vecs...); err != nil {
			return nil, err
		}
		if err := LoadMatrices(f, ProjectionSpecs(name, &l.Q, &l.K, &l.V, &l.O, qd, kvd, p.Embd)...); err != nil {
			return nil, err
		}
		if err := LoadMatrices(f, FFNSpecs(name, &l.Gate, &l.Up, &l.Down, p.FFN, p.Embd)...); err != nil {
			return nil, err
		}
	}
	m.Base = NewBase(f, p, opts)
	return m, nil
}

// ProjectionSpecs are the attention projections of a block under
// llama.cpp's names (name adds the block prefix): attn_q (qd×embd),
// attn_k and attn_v (kvd×embd), attn_output (embd×qd).
func ProjectionSpecs(name func(string) string, q, k, v, o **kernels.Matrix, qd, kvd, embd int) []MatrixSpec {
	return []MatrixSpec{
		{q, name("attn_q.weight"), qd, embd}, {k, name("attn_k.weight"), kvd, embd}, {v, name("attn_v.weight"), kvd, embd},
		{o, name("attn_output.weight"), embd, qd},
	}
}

// FFNSpecs are the gated feed-forward matrices of a block under
// llama.cpp's names: ffn_gate and ffn_up (ffn×embd), ffn_down (embd×ffn).
func FFNSpecs(name func(string) string, gate, up, down **kernels.Matrix, ffn, embd int) []MatrixSpec {
	return []MatrixSpec{
		{gate, name("ffn_gate.weight"), ffn, embd}, {up, name("ffn_up.weight"), ffn, embd}, {down, name("ffn_down.weight"), embd, ffn},
	}
}

// Forward runs a batch through the model. Trace, when set, sees its
// intermediates under the names of llama.cpp's graph: attn_norm,
// Qcur_mm, Kcur_mm (the projections before biases), Vcur, Qcur and Kcur
// (after rope), kqv_out, attn_out, ffn_inp, ffn_norm, ffn_gate, ffn_up,
// ffn_swiglu, ffn_out, l_out (each "-layer"), result_norm and
// result_output.
func (m *Decoder) Forward(c *Cache, b *Batch) ([]float32, error) {
	p := m.P
	n, nOut, err := CheckBatch(c, b, p.Vocab)
	if n == 0 || err != nil {
		return nil, err
	}
	b = m.Order.Plan(b)
	all := m.Order.All
	E, D := p.Embd, p.HeadDim
	qd, kvd := p.Heads*D, p.KVHeads*D
	buf := &m.buf
	x, xn := Grow(buf.x, n*E), Grow(buf.xn, n*E)
	q, k, v := Grow(buf.q, n*qd), Grow(buf.k, n*kvd), Grow(buf.v, n*kvd)
	at, o := Grow(buf.at, n*qd), Grow(buf.o, n*E)
	g, u := Grow(buf.g, n*p.FFN), Grow(buf.u, n*p.FFN)
	buf.x, buf.xn, buf.q, buf.k, buf.v, buf.at, buf.o, buf.g, buf.u = x, xn, q, k, v, at, o, g, u
	if err := Embed(m.Embd, b, x); err != nil {
		return nil, err
	}
	scale := 1 / float32(math.Sqrt(float64(D))) // 1.0f/sqrtf(n_embd_head)
	rope := kernels.RopeNorm
	if m.Opt.Neox {
		rope = kernels.RopeNeox
	}
	// The rotations of each row's position, the same in every layer.
	ropes := Grow(buf.rope, n*p.RopeDims)
	buf.rope = ropes
	for i := 0; i < n; i++ {
		kernels.RopeCache(ropes[i*p.RopeDims:(i+1)*p.RopeDims], int(b.Pos[i]), p.RopeDims, p.RopeBase, p.RopeScale, m.RopeFreqs)
	}

	// Unless a trace wants the tensors between the steps, the residual
	// additions and the SwiGLU are done by the threads in the passes that
	// convert the next product's activations (kernels.Norm.Res,
	// MatMulSwiGLU): res is a residual still to be added to x.
	fuse := Trace == nil
	var res []float32
	for li := range m.Layers {
		l := &m.Layers[li]
		// Attention: x += Wo · attn(rope(q), rope(k), v) with q, k, v
		// projections of norm(x) (plus biases, per-head norms).
		m.Pool.MatMulSet(&m.WS, xn, n, all, kernels.Norm{In: x, W: l.AttnNorm, Eps: p.Eps, Res: res}, l.Q, l.K, l.V, q, k, v)
		res = nil
		TraceTensor("attn_norm", li, xn)
		TraceTensor("Qcur_mm", li, q)
		TraceTensor("Kcur_mm", li, k)
		if l.QBias != nil {
			AddBias(q, l.QBias, n)
			AddBias(k, l.KBias, n)
			AddBias(v, l.VBias, n)
		}
		TraceTensor("Vcur", li, v)
		m.heads = headPrep{c: c, b: b, li: li, q: q, k: k, v: v, ropes: ropes, qNorm: l.QNorm, kNorm: l.KNorm,
			heads: p.Heads, kvHeads: p.KVHeads, d: D, ropeDims: p.RopeDims, eps: p.Eps, rope: rope}
		m.heads.run(m.Pool, n)
		TraceTensor("Qcur", li, q)
		TraceTensor("Kcur", li, k)
		m.Att.Run(m.Pool, c, li, b, q, at, p.Heads, p.KVHeads, D, scale, 0)
		TraceTensor("kqv_out", li, at)
		m.Pool.MatMulRows(&m.WS, l.O, at, n, all, o)
		TraceTensor("attn_out", li, o)

		nf, rows := n, all
		gather := li == len(m.Layers)-1 && (nOut < n || m.Order.Out != all)
		if fuse && !gather {
			res = o
		} else {
			kernels.Add(x, o)
			TraceTensor("ffn_inp", li, x)
		}
		if gather {
			// As llama.cpp's graph does (ggml_get_rows on inp_out_ids), the
			// last layer's feed-forward runs only on the rows that want
			// logits; the batch size picks ggml's matmul path, so it
			// changes the sums.
			if nOut == 0 {
				return nil, nil
			}
			nf, rows = m.Order.GatherLogitRows(x, xn, E), m.Order.Out
		}
		// Feed-forward: x += W_down · (silu(W_gate·h) ⊙ W_up·h), h = norm(x).
		xf, xnf, of := x[:nf*E], xn[:nf*E], o[:nf*E]
		gf, uf := g[:nf*p.FFN], u[:nf*p.FFN]
		m.Pool.MatMulSet(&m.WS, xnf, nf, rows, kernels.Norm{In: xf, W: l.FFNNorm, Eps: p.Eps, Res: res}, l.Gate, l.Up, nil, gf, uf, nil)
		res = nil
		TraceTensor("ffn_norm", li, xnf)
		TraceTensor("ffn_gate", li, gf)
		TraceTensor("ffn_up", li, uf)
		if fuse {
			m.Pool.MatMulSwiGLU(&m.WS, l.Down, gf, uf, nf, rows, of)
		} else {
			for i := 0; i < nf; i++ { // per row: ggml's vector body and scalar tail split each row
				kernels.SiLUMul(g[i*p.FFN:(i+1)*p.FFN], u[i*p.FFN:(i+1)*p.FFN])
			}
			TraceTensor("ffn_swiglu", li, gf)
			m.Pool.MatMulRows(&m.WS, l.Down, gf, nf, rows, of)
		}
		TraceTensor("ffn_out", li, of)
		if fuse && li < len(m.Layers)-1 {
			res = of // added by the next layer's attention norm
		} else {
			kernels.Add(xf, of)
			TraceTensor("l_out", li, xf)
		}
	}
	if nOut == 0 {
		return nil, nil
	}
	// The last layer left only the entries that want logits, in the
	// order of m.Order.LogitRows, in x[:nOut*E].
	buf.sel = Grow(buf.sel, nOut*E)
	buf.logits = Grow(buf.logits, nOut*p.Vocab)
	RMSNormRows(buf.sel, x, m.OutNorm, nOut, p.Eps)
	TraceTensor("result_norm", -1, buf.sel)
	m.Pool.MatMulRows(&m.WS, m.Out, buf.sel, nOut, m.Order.Out, buf.logits)
	TraceTensor("result_output", -1, buf.logits)
	return m.Order.Logits(buf.logits, p.Vocab), nil
}
