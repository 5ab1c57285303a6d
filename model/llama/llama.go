// Package llama is the llama architecture as llama.cpp runs it: Llama 1/2/3,
// TinyLlama, Mistral (without a sliding window) and SmolLM. RMSNorm, rotary
// position embeddings, grouped-query attention over a KV cache, SwiGLU.
package llama

import (
	"fmt"
	"math"

	"github.com/hearthlm/hearth/gguf"
	"github.com/hearthlm/hearth/kernels"
	"github.com/hearthlm/hearth/model"
)

func init() { model.Register("llama", New) }

// Params are the hyperparameters read from the GGUF file.
type Params struct {
	Embd, Layers, Heads, KVHeads, HeadDim, FFN, Vocab, CtxTrain int
	RopeDims                                                    int
	RopeBase, RopeScale, Eps                                    float32
}

type layer struct {
	attnNorm, ffnNorm []float32
	q, k, v, o        *kernels.Matrix
	gate, up, down    *kernels.Matrix
}

// Model is a loaded llama model.
type Model struct {
	p           Params
	info        model.Info
	embd        *kernels.Matrix
	outNorm     []float32
	out         *kernels.Matrix
	ropeFreqs   []float32
	layers      []layer
	pool        *kernels.Pool
	ws          kernels.Workspace
	buf         buffers
	ropeScratch []float32
}

type buffers struct {
	n                  int
	x, xn, q, k, v, at []float32
	o, g, u            []float32
	logits             []float32
	sel                []float32
	attScratch         [][]float32
	acc16              [][]uint16
}

func key(arch, k string) string { return arch + "." + k }

func uintKey(md gguf.Metadata, k string, def int, required bool) (int, error) {
	v, ok := md.Uint(k)
	if !ok {
		if required {
			return 0, fmt.Errorf("llama: metadata key %q is missing", k)
		}
		return def, nil
	}
	if v > 1<<31 {
		return 0, fmt.Errorf("llama: metadata key %q = %d is out of range", k, v)
	}
	return int(v), nil
}

// ReadParams reads the llama hyperparameters under the given architecture prefix.
func ReadParams(f *gguf.File, arch string) (Params, error) {
	md := f.Metadata
	var p Params
	var err error
	get := func(dst *int, k string, def int, req bool) {
		if err == nil {
			*dst, err = uintKey(md, key(arch, k), def, req)
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
		return p, fmt.Errorf("llama: embedding %d, layers %d, heads %d, ffn %d: all must be positive", p.Embd, p.Layers, p.Heads, p.FFN)
	}
	get(&p.KVHeads, "attention.head_count_kv", p.Heads, false)
	get(&p.HeadDim, "attention.key_length", p.Embd/p.Heads, false)
	get(&p.RopeDims, "rope.dimension_count", p.HeadDim, false)
	if err != nil {
		return p, err
	}
	if p.KVHeads <= 0 || p.Heads%p.KVHeads != 0 {
		return p, fmt.Errorf("llama: %d heads cannot share %d KV heads", p.Heads, p.KVHeads)
	}
	if p.RopeDims <= 0 || p.RopeDims > p.HeadDim || p.RopeDims%2 != 0 {
		return p, fmt.Errorf("llama: rope dimension %d does not fit head size %d", p.RopeDims, p.HeadDim)
	}
	if vd, ok := md.Uint(key(arch, "attention.value_length")); ok && int(vd) != p.HeadDim {
		return p, fmt.Errorf("llama: value head size %d differs from key head size %d", vd, p.HeadDim)
	}
	p.RopeBase = 10000
	if v, ok := md.Float(key(arch, "rope.freq_base")); ok {
		p.RopeBase = float32(v)
	}
	p.RopeScale = 1
	if v, ok := md.Float(key(arch, "rope.scale_linear")); ok && v != 0 {
		p.RopeScale = float32(1 / v)
	}
	if typ, _ := md.String(key(arch, "rope.scaling.type")); typ == "linear" {
		if v, ok := md.Float(key(arch, "rope.scaling.factor")); ok && v != 0 {
			p.RopeScale = float32(1 / v)
		}
	} else if typ != "" && typ != "none" {
		return p, fmt.Errorf("llama: rope scaling %q is not supported", typ)
	}
	p.Eps = 1e-5
	if v, ok := md.Float(key(arch, "attention.layer_norm_rms_epsilon")); ok {
		p.Eps = float32(v)
	}
	return p, nil
}

// New builds a llama model over the file's tensors (no weights are copied).
func New(f *gguf.File, opts model.Options) (model.Model, error) {
	arch, _ := f.Metadata.String("general.architecture")
	p, err := ReadParams(f, arch)
	if err != nil {
		return nil, err
	}
	m := &Model{p: p}
	if m.embd, err = model.Matrix(f, "token_embd.weight"); err != nil {
		return nil, err
	}
	if m.embd.Cols != p.Embd {
		return nil, fmt.Errorf("llama: token_embd.weight has rows of %d, want the embedding size %d", m.embd.Cols, p.Embd)
	}
	p.Vocab = m.embd.Rows
	m.p.Vocab = p.Vocab
	if m.outNorm, err = model.Vector(f, "output_norm.weight", p.Embd); err != nil {
		return nil, err
	}
	if _, ok := f.Tensor("output.weight"); ok {
		if m.out, err = model.Matrix(f, "output.weight"); err != nil {
			return nil, err
		}
	} else {
		m.out = m.embd // tied embeddings
	}
	if err := shape(m.out, p.Vocab, p.Embd); err != nil {
		return nil, err
	}
	if _, ok := f.Tensor("rope_freqs.weight"); ok {
		if m.ropeFreqs, err = model.Vector(f, "rope_freqs.weight", p.RopeDims/2); err != nil {
			return nil, err
		}
	}
	qd, kvd := p.Heads*p.HeadDim, p.KVHeads*p.HeadDim
	m.layers = make([]layer, p.Layers)
	for i := range m.layers {
		l := &m.layers[i]
		name := func(s string) string { return fmt.Sprintf("blk.%d.%s.weight", i, s) }
		if l.attnNorm, err = model.Vector(f, name("attn_norm"), p.Embd); err != nil {
			return nil, err
		}
		if l.ffnNorm, err = model.Vector(f, name("ffn_norm"), p.Embd); err != nil {
			return nil, err
		}
		for _, w := range []struct {
			dst        **kernels.Matrix
			n          string
			rows, cols int
		}{
			{&l.q, "attn_q", qd, p.Embd}, {&l.k, "attn_k", kvd, p.Embd}, {&l.v, "attn_v", kvd, p.Embd},
			{&l.o, "attn_output", p.Embd, qd},
			{&l.gate, "ffn_gate", p.FFN, p.Embd}, {&l.up, "ffn_up", p.FFN, p.Embd}, {&l.down, "ffn_down", p.Embd, p.FFN},
		} {
			if *w.dst, err = model.Matrix(f, name(w.n)); err != nil {
				return nil, err
			}
			if err := shape(*w.dst, w.rows, w.cols); err != nil {
				return nil, err
			}
		}
	}
	m.info = model.Info{
		Arch: arch, ContextLength: p.CtxTrain, Embedding: p.Embd, Layers: p.Layers, Heads: p.Heads,
		KVHeads: p.KVHeads, HeadDim: p.HeadDim, FFN: p.FFN, Vocab: p.Vocab,
	}
	m.info.Name, _ = f.Metadata.String("general.name")
	for i := range f.Tensors {
		t := &f.Tensors[i]
		m.info.Params += int64(t.Elements())
		m.info.WeightBytes += int64(t.Size)
	}
	m.pool = kernels.NewPool(opts.Threads)
	m.ropeScratch = make([]float32, p.RopeDims)
	return m, nil
}

func shape(m *kernels.Matrix, rows, cols int) error {
	if m.Rows != rows || m.Cols != cols {
		return fmt.Errorf("llama: tensor %q is %d×%d, want %d×%d", m.Name, m.Rows, m.Cols, rows, cols)
	}
	return nil
}

// Info describes the model.
func (m *Model) Info() model.Info { return m.info }

// Params returns the hyperparameters.
func (m *Model) Params() Params { return m.p }

// Close stops the model's worker threads.
func (m *Model) Close() { m.pool.Close() }

// NewCache allocates an f16 KV cache.
func (m *Model) NewCache(ctx, seqs int) (*model.Cache, error) {
	return model.NewCache(m.p.Layers, ctx, seqs, m.p.KVHeads*m.p.HeadDim)
}

func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

func (m *Model) ensure(n, nOut int) {
	p := m.p
	b := &m.buf
	b.x = grow(b.x, n*p.Embd)
	b.xn = grow(b.xn, n*p.Embd)
	b.q = grow(b.q, n*p.Heads*p.HeadDim)
	b.k = grow(b.k, n*p.KVHeads*p.HeadDim)
	b.v = grow(b.v, n*p.KVHeads*p.HeadDim)
	b.at = grow(b.at, n*p.Heads*p.HeadDim)
	b.o = grow(b.o, n*p.Embd)
	b.g = grow(b.g, n*p.FFN)
	b.u = grow(b.u, n*p.FFN)
	b.logits = grow(b.logits, nOut*p.Vocab)
	b.sel = grow(b.sel, nOut*p.Embd)
}

// Trace, when set (by tests comparing with llama.cpp's intermediate
// tensors), is called with each intermediate of Forward under the name
// llama.cpp's graph gives it ("Qcur-0", "kqv_out-1", "result_output", ...).
var Trace func(name string, x []float32)

func trace(name string, li int, x []float32) {
	if Trace != nil {
		if li >= 0 {
			name = fmt.Sprintf("%s-%d", name, li)
		}
		Trace(name, x)
	}
}

// Forward runs a batch through the model.
func (m *Model) Forward(c *model.Cache, b *model.Batch) ([]float32, error) {
	p := m.p
	if err := c.Check(b, p.Vocab); err != nil {
		return nil, err
	}
	n := b.Len()
	if n == 0 {
		return nil, nil
	}
	nOut := 0
	for _, l := range b.Logits {
		if l {
			nOut++
		}
	}
	m.ensure(n, nOut)
	buf := &m.buf
	E, D := p.Embd, p.HeadDim
	qd, kvd := p.Heads*D, p.KVHeads*D

	for i, t := range b.Tokens {
		if err := m.embd.DequantizeRow(int(t), buf.x[i*E:(i+1)*E]); err != nil {
			return nil, fmt.Errorf("llama: token_embd: %w", err)
		}
	}
	x, xn := buf.x, buf.xn
	q, k, v := buf.q[:n*qd], buf.k[:n*kvd], buf.v[:n*kvd]
	scale := 1 / float32(math.Sqrt(float64(D))) // 1.0f/sqrtf(n_embd_head)
	rope := m.ropeScratch

	for li := range m.layers {
		l := &m.layers[li]
		for i := 0; i < n; i++ {
			kernels.RMSNorm(xn[i*E:(i+1)*E], x[i*E:(i+1)*E], l.attnNorm, p.Eps)
		}
		m.pool.MatMul(&m.ws, l.q, xn, n, q)
		m.pool.MatMul(&m.ws, l.k, xn, n, k)
		m.pool.MatMul(&m.ws, l.v, xn, n, v)
		trace("attn_norm", li, xn[:n*E])
		trace("Qcur_mm", li, q)
		trace("Kcur_mm", li, k)
		trace("Vcur", li, v)
		for i := 0; i < n; i++ {
			kernels.RopeCache(rope, int(b.Pos[i]), p.RopeDims, p.RopeBase, p.RopeScale, m.ropeFreqs)
			for h := 0; h < p.Heads; h++ {
				kernels.RopeNorm(q[i*qd+h*D:], rope, p.RopeDims)
			}
			for h := 0; h < p.KVHeads; h++ {
				kernels.RopeNorm(k[i*kvd+h*D:], rope, p.RopeDims)
			}
			cell := (int(b.Seq[i])*c.Ctx + int(b.Pos[i])) * kvd
			kernels.ToF16(c.K[li][cell:cell+kvd], k[i*kvd:(i+1)*kvd])
			kernels.ToF16(c.V[li][cell:cell+kvd], v[i*kvd:(i+1)*kvd])
		}
		trace("Qcur", li, q)
		trace("Kcur", li, k)
		m.attention(c, li, b, q, buf.at[:n*qd], scale)
		m.pool.MatMul(&m.ws, l.o, buf.at, n, buf.o)
		trace("kqv_out", li, buf.at[:n*qd])
		trace("attn_out", li, buf.o[:n*E])
		kernels.Add(x[:n*E], buf.o[:n*E])
		trace("ffn_inp", li, x[:n*E])

		nf := n
		if li == len(m.layers)-1 && nOut < n {
			// As llama.cpp's graph does (ggml_get_rows on inp_out_ids), the
			// last layer's FFN runs only on the rows that want logits; the
			// batch size picks ggml's matmul path, so it changes the sums.
			j := 0
			for i := 0; i < n; i++ {
				if b.Logits[i] {
					copy(x[j*E:(j+1)*E], x[i*E:(i+1)*E])
					j++
				}
			}
			nf = nOut
		}
		for i := 0; i < nf; i++ {
			kernels.RMSNorm(xn[i*E:(i+1)*E], x[i*E:(i+1)*E], l.ffnNorm, p.Eps)
		}
		m.pool.MatMul(&m.ws, l.gate, xn, nf, buf.g)
		m.pool.MatMul(&m.ws, l.up, xn, nf, buf.u)
		trace("ffn_norm", li, xn[:nf*E])
		trace("ffn_gate", li, buf.g[:nf*p.FFN])
		trace("ffn_up", li, buf.u[:nf*p.FFN])
		for i := 0; i < nf; i++ { // per row: ggml's vector body and scalar tail split each row
			kernels.SiLUMul(buf.g[i*p.FFN:(i+1)*p.FFN], buf.u[i*p.FFN:(i+1)*p.FFN])
		}
		trace("ffn_swiglu", li, buf.g[:nf*p.FFN])
		m.pool.MatMul(&m.ws, l.down, buf.g, nf, buf.o)
		trace("ffn_out", li, buf.o[:nf*E])
		kernels.Add(x[:nf*E], buf.o[:nf*E])
		trace("l_out", li, x[:nf*E])
	}

	// Final norm and output head; the last layer left only the entries
	// that want logits, in order, in x[:nOut*E].
	for j := 0; j < nOut; j++ {
		kernels.RMSNorm(buf.sel[j*E:(j+1)*E], x[j*E:(j+1)*E], m.outNorm, p.Eps)
	}
	if nOut == 0 {
		return nil, nil
	}
	trace("result_norm", -1, buf.sel[:nOut*E])
	m.pool.MatMul(&m.ws, m.out, buf.sel, nOut, buf.logits)
	trace("result_output", -1, buf.logits[:nOut*p.Vocab])
	return buf.logits[:nOut*p.Vocab], nil
}

// attention runs every (entry, head) pair of the batch over the cache.
func (m *Model) attention(c *model.Cache, li int, b *model.Batch, q, out []float32, scale float32) {
	p := m.p
	D := p.HeadDim
	qd, kvd := p.Heads*D, p.KVHeads*D
	group := p.Heads / p.KVHeads
	n := b.Len()
	threads := m.pool.Threads()
	if len(m.buf.attScratch) != threads {
		m.buf.attScratch = make([][]float32, threads)
		m.buf.acc16 = make([][]uint16, threads)
		for i := range m.buf.attScratch {
			m.buf.attScratch[i] = make([]float32, max(D+kernels.TiledKV, kernels.TiledHeadsScratch(group, D)))
			m.buf.acc16[i] = make([]uint16, D)
		}
	}
	// ggml-cpu takes its tiled path for ubatches of 64 query rows or more.
	tiled := kernels.UseTiled(n, D)
	// Each chunk is one entry's heads; scratch is per worker thread.
	m.pool.Run(n, func(s, i int) {
		q16 := m.buf.attScratch[s][:D]
		acc16 := m.buf.acc16[s]
		seq, pos := int(b.Seq[i]), int(b.Pos[i])
		base := seq * c.Ctx * kvd
		if tiled {
			// The group query heads of each KV head share its K and V tiles.
			for kh := 0; kh < p.KVHeads; kh++ {
				hd := i*qd + kh*group*D
				kernels.AttendTiledHeads(out[hd:hd+group*D], q[hd:hd+group*D], group,
					c.K[li][base+kh*D:], c.V[li][base+kh*D:], pos+1, kvd, scale, m.buf.attScratch[s])
			}
			return
		}
		for h := 0; h < p.Heads; h++ {
			kh := h / group
			kernels.AttendOnline(out[i*qd+h*D:i*qd+(h+1)*D], q[i*qd+h*D:i*qd+(h+1)*D],
				c.K[li][base+kh*D:], c.V[li][base+kh*D:], pos+1, kvd, scale, q16, acc16)
		}
	})
}
