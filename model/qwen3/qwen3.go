// Package qwen3 is the Qwen3 dense architecture as llama.cpp runs it
// ("qwen3" in GGUF): the llama block with an RMSNorm over each query and
// key head before NEOX-style rotary embeddings, and no biases.
package qwen3

import (
	"fmt"
	"math"

	"github.com/hearthlm/hearth/gguf"
	"github.com/hearthlm/hearth/kernels"
	"github.com/hearthlm/hearth/model"
)

func init() { model.Register("qwen3", New) }

type layer struct {
	attnNorm, ffnNorm []float32
	qNorm, kNorm      []float32 // per head, HeadDim each
	q, k, v, o        *kernels.Matrix
	gate, up, down    *kernels.Matrix
}

// Model is a loaded Qwen3 model.
type Model struct {
	p       model.Hyper
	info    model.Info
	embd    *kernels.Matrix
	outNorm []float32
	out     *kernels.Matrix
	layers  []layer
	pool    *kernels.Pool
	ws      kernels.Workspace
	att     model.Attention
	rope    []float32
	buf     struct{ x, xn, q, k, v, at, o, g, u, logits, sel []float32 }
}

// New builds a Qwen3 model over the file's tensors (no weights are copied).
func New(f *gguf.File, opts model.Options) (model.Model, error) {
	p, err := model.ReadHyper(f, "qwen3")
	if err != nil {
		return nil, err
	}
	p.Eps = model.FloatKey(f.Metadata, "qwen3.attention.layer_norm_rms_epsilon", 1e-6)
	m := &Model{}
	if m.embd, err = model.Matrix(f, "token_embd.weight"); err != nil {
		return nil, err
	}
	if m.embd.Cols != p.Embd {
		return nil, fmt.Errorf("qwen3: token_embd.weight has rows of %d, want the embedding size %d", m.embd.Cols, p.Embd)
	}
	p.Vocab = m.embd.Rows
	if m.outNorm, err = model.Vector(f, "output_norm.weight", p.Embd); err != nil {
		return nil, err
	}
	m.out = m.embd // tied embeddings unless the file has an output head
	if _, ok := f.Tensor("output.weight"); ok {
		if m.out, err = model.MatrixShape(f, "output.weight", p.Vocab, p.Embd); err != nil {
			return nil, err
		}
	}
	qd, kvd := p.Heads*p.HeadDim, p.KVHeads*p.HeadDim
	m.layers = make([]layer, p.Layers)
	for i := range m.layers {
		l := &m.layers[i]
		name := func(s string) string { return fmt.Sprintf("blk.%d.%s.weight", i, s) }
		for _, w := range []struct {
			dst *[]float32
			n   string
			len int
		}{
			{&l.attnNorm, "attn_norm", p.Embd}, {&l.ffnNorm, "ffn_norm", p.Embd},
			{&l.qNorm, "attn_q_norm", p.HeadDim}, {&l.kNorm, "attn_k_norm", p.HeadDim},
		} {
			if *w.dst, err = model.Vector(f, name(w.n), w.len); err != nil {
				return nil, err
			}
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
			if *w.dst, err = model.MatrixShape(f, name(w.n), w.rows, w.cols); err != nil {
				return nil, err
			}
		}
	}
	m.p = p
	m.info = p.Info(f)
	m.pool = kernels.NewPool(opts.Threads)
	m.rope = make([]float32, p.RopeDims)
	return m, nil
}

// Info describes the model.
func (m *Model) Info() model.Info { return m.info }

// Params returns the hyperparameters.
func (m *Model) Params() model.Hyper { return m.p }

// Close stops the model's worker threads.
func (m *Model) Close() { m.pool.Close() }

// NewCache allocates an f16 KV cache.
func (m *Model) NewCache(ctx, seqs int) (*model.Cache, error) {
	return model.NewCache(m.p.Layers, ctx, seqs, m.p.KVHeads*m.p.HeadDim)
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
	E, D := p.Embd, p.HeadDim
	qd, kvd := p.Heads*D, p.KVHeads*D
	nOut := model.CountLogits(b)
	buf := &m.buf
	x, xn := model.Grow(buf.x, n*E), model.Grow(buf.xn, n*E)
	q, k, v := model.Grow(buf.q, n*qd), model.Grow(buf.k, n*kvd), model.Grow(buf.v, n*kvd)
	at, o := model.Grow(buf.at, n*qd), model.Grow(buf.o, n*E)
	g, u := model.Grow(buf.g, n*p.FFN), model.Grow(buf.u, n*p.FFN)
	buf.x, buf.xn, buf.q, buf.k, buf.v, buf.at, buf.o, buf.g, buf.u = x, xn, q, k, v, at, o, g, u
	if err := model.Embed(m.embd, b, x); err != nil {
		return nil, err
	}
	scale := float32(1 / math.Sqrt(float64(D)))

	for li := range m.layers {
		l := &m.layers[li]
		// Attention: x += Wo · attn(rope(norm_q(Wq·h)), rope(norm_k(Wk·h)), Wv·h), h = norm(x).
		model.RMSNormRows(xn, x, l.attnNorm, n, p.Eps)
		m.pool.MatMul(&m.ws, l.q, xn, n, q)
		m.pool.MatMul(&m.ws, l.k, xn, n, k)
		m.pool.MatMul(&m.ws, l.v, xn, n, v)
		for i := 0; i < n; i++ {
			kernels.RopeCache(m.rope, int(b.Pos[i]), p.RopeDims, p.RopeBase, p.RopeScale, nil)
			for h := 0; h < p.Heads; h++ {
				qh := q[i*qd+h*D : i*qd+(h+1)*D]
				kernels.RMSNorm(qh, qh, l.qNorm, p.Eps)
				kernels.RopeNeox(qh, m.rope, p.RopeDims)
			}
			for h := 0; h < p.KVHeads; h++ {
				kh := k[i*kvd+h*D : i*kvd+(h+1)*D]
				kernels.RMSNorm(kh, kh, l.kNorm, p.Eps)
				kernels.RopeNeox(kh, m.rope, p.RopeDims)
			}
			model.StoreKV(c, li, b, i, k, v)
		}
		m.att.Run(m.pool, c, li, b, q, at, p.Heads, p.KVHeads, D, scale, 0)
		m.pool.MatMul(&m.ws, l.o, at, n, o)
		kernels.Add(x, o)

		// Feed-forward: x += W_down · (silu(W_gate·h) ⊙ W_up·h), h = norm(x).
		model.RMSNormRows(xn, x, l.ffnNorm, n, p.Eps)
		m.pool.MatMul(&m.ws, l.gate, xn, n, g)
		m.pool.MatMul(&m.ws, l.up, xn, n, u)
		kernels.SiLUMul(g, u)
		m.pool.MatMul(&m.ws, l.down, g, n, o)
		kernels.Add(x, o)
	}
	if nOut == 0 {
		return nil, nil
	}
	buf.sel = model.Grow(buf.sel, nOut*E)
	buf.logits = model.Grow(buf.logits, nOut*p.Vocab)
	model.SelectNorm(buf.sel, x, m.outNorm, b, p.Eps)
	m.pool.MatMul(&m.ws, m.out, buf.sel, nOut, buf.logits)
	return buf.logits, nil
}
