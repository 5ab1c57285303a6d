// Package phi3 is the Phi-3 architecture as llama.cpp runs it ("phi3" in
// GGUF): the llama block with fused q/k/v and gate/up projections, NEOX
// rope, and queries scaled by 1/sqrt(head size) before attention.
//
// Long-context variants (Phi-3-mini-128k, Phi-3.5-mini: "longrope") carry
// two sets of rope frequency divisors, rope_factors_short.weight and
// rope_factors_long.weight, and an attention factor. As in llama.cpp, the
// context of a cache chooses the set: the long factors when its size per
// sequence, rounded up to a multiple of 256 as llama.cpp rounds n_ctx,
// exceeds the original context (rope.scaling.original_context_length),
// the short ones otherwise; and the attention factor scales the cos and
// sin of every rotation, whichever set applies.
package phi3

import (
	"fmt"
	"math"

	"github.com/hearthlm/hearth/gguf"
	"github.com/hearthlm/hearth/kernels"
	"github.com/hearthlm/hearth/model"
)

func init() { model.Register("phi3", New) }

type layer struct {
	attnNorm, ffnNorm []float32
	qkv, o, up, down  *kernels.Matrix // up: gate rows then up rows
}

// Model is a loaded Phi-3 model.
type Model struct {
	model.Base
	embd    *kernels.Matrix
	outNorm []float32
	out     *kernels.Matrix
	layers  []layer
	// Long-context rope: factors for contexts up to origCtx and beyond
	// (either may be nil: no factors there), and the cos/sin scale.
	ropeShort, ropeLong []float32
	origCtx             int
	attnFactor          float32
	buf                 struct{ x, xn, qkv, q, k, v, at, o, gu, g, u, logits, sel []float32 }
}

// New builds a Phi-3 model over the file's tensors.
func New(f *gguf.File, opts model.Options) (model.Model, error) {
	p, err := model.ReadHyper(f, "phi3")
	if err != nil {
		return nil, err
	}
	m := &Model{}
	if m.ropeLong, err = model.OptionalVector(f, "rope_factors_long.weight", p.RopeDims/2); err != nil {
		return nil, err
	}
	if m.ropeShort, err = model.OptionalVector(f, "rope_factors_short.weight", p.RopeDims/2); err != nil {
		return nil, err
	}
	if m.origCtx, err = model.UintKey(f.Metadata, "phi3.rope.scaling.original_context_length", p.CtxTrain, false); err != nil {
		return nil, err
	}
	m.attnFactor = model.FloatKey(f.Metadata, "phi3.rope.scaling.attn_factor", 1)
	if m.embd, m.outNorm, m.out, err = model.LoadHead(f, &p); err != nil {
		return nil, err
	}
	qd, kvd := p.Heads*p.HeadDim, p.KVHeads*p.HeadDim
	m.layers = make([]layer, p.Layers)
	for i := range m.layers {
		l := &m.layers[i]
		name := func(s string) string { return fmt.Sprintf("blk.%d.%s.weight", i, s) }
		if err := model.LoadVectors(f, model.VectorSpec{Dst: &l.attnNorm, Name: name("attn_norm"), Len: p.Embd},
			model.VectorSpec{Dst: &l.ffnNorm, Name: name("ffn_norm"), Len: p.Embd}); err != nil {
			return nil, err
		}
		if err := model.LoadMatrices(f,
			model.MatrixSpec{Dst: &l.qkv, Name: name("attn_qkv"), Rows: qd + 2*kvd, Cols: p.Embd},
			model.MatrixSpec{Dst: &l.o, Name: name("attn_output"), Rows: p.Embd, Cols: qd},
			model.MatrixSpec{Dst: &l.up, Name: name("ffn_up"), Rows: 2 * p.FFN, Cols: p.Embd},
			model.MatrixSpec{Dst: &l.down, Name: name("ffn_down"), Rows: p.Embd, Cols: p.FFN}); err != nil {
			return nil, err
		}
	}
	m.Base = model.NewBase(f, p, opts)
	return m, nil
}

// ropeFactors are the rope frequency divisors for a cache of ctx positions
// per sequence: llama.cpp's choice by n_ctx_seq, which it pads to a
// multiple of 256.
func (m *Model) ropeFactors(ctx int) []float32 {
	if (ctx+255)/256*256 > m.origCtx {
		return m.ropeLong
	}
	return m.ropeShort
}

// Forward runs a batch through the model.
func (m *Model) Forward(c *model.Cache, b *model.Batch) ([]float32, error) {
	p := m.P
	n, nOut, err := model.CheckBatch(c, b, p.Vocab)
	if n == 0 || err != nil {
		return nil, err
	}
	b = m.Order.Plan(b)
	all := m.Order.All
	E, D, F := p.Embd, p.HeadDim, p.FFN
	qd, kvd := p.Heads*D, p.KVHeads*D
	fd := qd + 2*kvd
	buf := &m.buf
	x, xn := model.Grow(buf.x, n*E), model.Grow(buf.xn, n*E)
	qkv := model.Grow(buf.qkv, n*fd)
	q, k, v := model.Grow(buf.q, n*qd), model.Grow(buf.k, n*kvd), model.Grow(buf.v, n*kvd)
	at, o := model.Grow(buf.at, n*qd), model.Grow(buf.o, n*E)
	gu, g, u := model.Grow(buf.gu, n*2*F), model.Grow(buf.g, n*F), model.Grow(buf.u, n*F)
	buf.x, buf.xn, buf.qkv, buf.q, buf.k, buf.v, buf.at, buf.o, buf.gu, buf.g, buf.u = x, xn, qkv, q, k, v, at, o, gu, g, u
	if err := model.Embed(m.embd, b, x); err != nil {
		return nil, err
	}
	qScale := float32(1 / math.Sqrt(float64(D)))
	factors := m.ropeFactors(c.Ctx)

	for li := range m.layers {
		l := &m.layers[li]
		// Attention: [q k v] = Wqkv · norm(x); x += Wo · attn(rope(q)/sqrt(d), rope(k), v).
		model.RMSNormRows(xn, x, l.attnNorm, n, p.Eps)
		m.Pool.MatMulRows(&m.WS, l.qkv, xn, n, all, qkv)
		for i := 0; i < n; i++ {
			row := qkv[i*fd : (i+1)*fd]
			copy(q[i*qd:(i+1)*qd], row[:qd])
			copy(k[i*kvd:(i+1)*kvd], row[qd:qd+kvd])
			copy(v[i*kvd:(i+1)*kvd], row[qd+kvd:])
			kernels.RopeCache(m.Rope, int(b.Pos[i]), p.RopeDims, p.RopeBase, p.RopeScale, factors)
			if m.attnFactor != 1 {
				// ggml's rope_yarn: cosf(θ)·mscale and sinf(θ)·mscale.
				for j := range m.Rope {
					m.Rope[j] *= m.attnFactor
				}
			}
			for h := 0; h < p.Heads; h++ {
				qh := q[i*qd+h*D : i*qd+(h+1)*D]
				kernels.RopeNeox(qh, m.Rope, p.RopeDims)
				for j := range qh {
					qh[j] *= qScale
				}
			}
			for h := 0; h < p.KVHeads; h++ {
				kernels.RopeNeox(k[i*kvd+h*D:i*kvd+(h+1)*D], m.Rope, p.RopeDims)
			}
			model.StoreKV(c, li, b, i, k, v)
		}
		// No sliding window: llama.cpp ignores phi3.attention.sliding_window
		// (it disables Phi-3's SWA, models/phi3.cpp) and attends over
		// every cached position.
		m.Att.Run(m.Pool, c, li, b, q, at, p.Heads, p.KVHeads, D, 1, 0)
		m.Pool.MatMulRows(&m.WS, l.o, at, n, all, o)
		kernels.Add(x, o)

		// Feed-forward: [g u] = Wgu · norm(x); x += W_down · (silu(g) ⊙ u).
		model.RMSNormRows(xn, x, l.ffnNorm, n, p.Eps)
		m.Pool.MatMulRows(&m.WS, l.up, xn, n, all, gu)
		for i := 0; i < n; i++ {
			copy(g[i*F:(i+1)*F], gu[i*2*F:i*2*F+F])
			copy(u[i*F:(i+1)*F], gu[i*2*F+F:(i+1)*2*F])
		}
		for i := 0; i < n; i++ { // per row: ggml's vector body and scalar tail split each row
			kernels.SiLUMul(g[i*F:(i+1)*F], u[i*F:(i+1)*F])
		}
		m.Pool.MatMulRows(&m.WS, l.down, g, n, all, o)
		kernels.Add(x, o)
	}
	if nOut == 0 {
		return nil, nil
	}
	buf.sel = model.Grow(buf.sel, nOut*E)
	buf.logits = model.Grow(buf.logits, nOut*p.Vocab)
	m.Order.SelectNorm(buf.sel, x, m.outNorm, p.Eps)
	m.Pool.MatMulRows(&m.WS, m.out, buf.sel, nOut, m.Order.Out, buf.logits)
	return m.Order.Logits(buf.logits, p.Vocab), nil
}
