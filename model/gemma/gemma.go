// Package gemma is the Gemma 2 and Gemma 3 text architectures as llama.cpp
// runs them ("gemma2", "gemma3" in GGUF): embeddings scaled by sqrt(d),
// RMSNorm before and after both attention and the GELU-gated feed-forward,
// NEOX rope, queries scaled before attention, and sliding-window layers.
// Gemma 2 alternates local and global layers and soft-caps attention
// scores and final logits; Gemma 3 has per-head q/k norms and five local
// layers (rope base 10000) for every global one.
package gemma

import (
	"fmt"
	"math"

	"github.com/hearthlm/hearth/gguf"
	"github.com/hearthlm/hearth/kernels"
	"github.com/hearthlm/hearth/model"
	"github.com/hearthlm/hearth/quant"
)

func init() {
	model.Register("gemma2", func(f *gguf.File, o model.Options) (model.Model, error) { return New(f, "gemma2", o) })
	model.Register("gemma3", func(f *gguf.File, o model.Options) (model.Model, error) { return New(f, "gemma3", o) })
}

const ropeLocalBase = 10000 // Gemma 3's sliding-window layers

type layer struct {
	attnNorm, postAttnNorm, ffnNorm, postFFNNorm []float32
	qNorm, kNorm                                 []float32
	q, k, v, o, gate, up, down                   *kernels.Matrix
	swa                                          bool
}

// Model is a loaded Gemma 3 model.
type Model struct {
	model.Base
	embd    *kernels.Matrix
	outNorm []float32
	out     *kernels.Matrix
	layers  []layer
	qScale  float32
	gemma2  bool
	buf     struct{ x, xn, q, k, v, at, o, g, u, logits, sel []float32 }
}

// New builds a Gemma model (arch "gemma2" or "gemma3") over the file's tensors.
func New(f *gguf.File, arch string, opts model.Options) (model.Model, error) {
	p, err := model.ReadHyper(f, arch)
	if err != nil {
		return nil, err
	}
	p.Eps = model.FloatKey(f.Metadata, arch+".attention.layer_norm_rms_epsilon", 1e-6)
	if arch == "gemma3" {
		p.RopeBase = model.FloatKey(f.Metadata, "gemma3.rope.freq_base", 1e6)
	}
	if p.SlidingWindow <= 0 {
		return nil, fmt.Errorf("%s: metadata key %s.attention.sliding_window is missing", arch, arch)
	}
	m := &Model{gemma2: arch == "gemma2"}
	if m.embd, m.outNorm, m.out, err = model.LoadHead(f, &p); err != nil {
		return nil, err
	}
	qd, kvd := p.Heads*p.HeadDim, p.KVHeads*p.HeadDim
	m.layers = make([]layer, p.Layers)
	for i := range m.layers {
		l := &m.layers[i]
		if m.gemma2 {
			l.swa = i%2 == 0
		} else {
			l.swa = (i+1)%6 != 0
		}
		name := func(s string) string { return fmt.Sprintf("blk.%d.%s", i, s) }
		vecs := []model.VectorSpec{
			{Dst: &l.attnNorm, Name: name("attn_norm.weight"), Len: p.Embd}, {Dst: &l.postAttnNorm, Name: name("post_attention_norm.weight"), Len: p.Embd},
			{Dst: &l.ffnNorm, Name: name("ffn_norm.weight"), Len: p.Embd}, {Dst: &l.postFFNNorm, Name: name("post_ffw_norm.weight"), Len: p.Embd},
		}
		if !m.gemma2 {
			vecs = append(vecs, model.VectorSpec{Dst: &l.qNorm, Name: name("attn_q_norm.weight"), Len: p.HeadDim},
				model.VectorSpec{Dst: &l.kNorm, Name: name("attn_k_norm.weight"), Len: p.HeadDim})
		}
		if err := model.LoadVectors(f, vecs...); err != nil {
			return nil, err
		}
		if err := model.LoadMatrices(f, model.ProjectionSpecs(name, &l.q, &l.k, &l.v, &l.o, qd, kvd, p.Embd)...); err != nil {
			return nil, err
		}
		if err := model.LoadMatrices(f, model.FFNSpecs(name, &l.gate, &l.up, &l.down, p.FFN, p.Embd)...); err != nil {
			return nil, err
		}
	}
	// llama.cpp scales queries by 1/sqrt(head size) before attention (the
	// 27B model by 1/sqrt(embedding/heads)); the attention scale is then 1.
	m.qScale = float32(1 / math.Sqrt(float64(p.HeadDim)))
	if v, ok := f.Metadata.Float(arch + ".attention.scale"); ok && v != 0 {
		m.qScale = float32(v)
	}
	m.Base = model.NewBase(f, p, opts)
	return m, nil
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
	E, D := p.Embd, p.HeadDim
	qd, kvd := p.Heads*D, p.KVHeads*D
	buf := &m.buf
	x, xn := model.Grow(buf.x, n*E), model.Grow(buf.xn, n*E)
	q, k, v := model.Grow(buf.q, n*qd), model.Grow(buf.k, n*kvd), model.Grow(buf.v, n*kvd)
	at, o := model.Grow(buf.at, n*qd), model.Grow(buf.o, n*E)
	g, u := model.Grow(buf.g, n*p.FFN), model.Grow(buf.u, n*p.FFN)
	buf.x, buf.xn, buf.q, buf.k, buf.v, buf.at, buf.o, buf.g, buf.u = x, xn, q, k, v, at, o, g, u
	if err := model.Embed(m.embd, b, x); err != nil {
		return nil, err
	}
	embScale := float32(math.Sqrt(float64(E)))
	for i := range x {
		x[i] *= embScale
	}
	model.TraceTensor("inp_scaled", -1, x)

	for li := range m.layers {
		l := &m.layers[li]
		base, scale, window := p.RopeBase, p.RopeScale, 0
		if l.swa {
			window = p.SlidingWindow
			if !m.gemma2 {
				base, scale = ropeLocalBase, 1
			}
		}
		// Attention: x += postnorm(Wo · attn(rope(qnorm(q))/sqrt(d), rope(knorm(k)), v)).
		m.Pool.MatMulSet(&m.WS, xn, n, all, kernels.Norm{In: x, W: l.attnNorm, Eps: p.Eps}, l.q, l.k, l.v, q, k, v)
		model.TraceTensor("attn_norm", li, xn)
		model.TraceTensor("Vcur", li, v)
		for i := 0; i < n; i++ {
			kernels.RopeCache(m.Rope, int(b.Pos[i]), p.RopeDims, base, scale, nil)
			for h := 0; h < p.Heads; h++ {
				qh := q[i*qd+h*D : i*qd+(h+1)*D]
				if l.qNorm != nil {
					kernels.RMSNorm(qh, qh, l.qNorm, p.Eps)
				}
				kernels.RopeNeox(qh, m.Rope, p.RopeDims)
			}
			for h := 0; h < p.KVHeads; h++ {
				kh := k[i*kvd+h*D : i*kvd+(h+1)*D]
				if l.kNorm != nil {
					kernels.RMSNorm(kh, kh, l.kNorm, p.Eps)
				}
				kernels.RopeNeox(kh, m.Rope, p.RopeDims)
			}
			model.StoreKV(c, li, b, i, k, v)
		}
		model.TraceTensor("Qcur", li, q)
		model.TraceTensor("Kcur", li, k)
		for i := range q {
			q[i] *= m.qScale
		}
		m.Att.Softcap = p.AttnSoftcap
		m.Att.Run(m.Pool, c, li, b, q, at, p.Heads, p.KVHeads, D, 1, window)
		model.TraceTensor("kqv_out", li, at)
		m.Pool.MatMulRows(&m.WS, l.o, at, n, all, o)
		model.TraceTensor("attn_out", li, o)
		model.RMSNormRows(o, o, l.postAttnNorm, n, p.Eps)
		model.TraceTensor("attn_post_norm", li, o)
		kernels.Add(x, o)
		model.TraceTensor("sa_out", li, x)

		// Feed-forward: x += postnorm(W_down · (gelu(W_gate·h) ⊙ W_up·h)), h = norm(x).
		m.Pool.MatMulSet(&m.WS, xn, n, all, kernels.Norm{In: x, W: l.ffnNorm, Eps: p.Eps}, l.gate, l.up, nil, g, u, nil)
		model.TraceTensor("ffn_norm", li, xn)
		model.TraceTensor("ffn_gate", li, g)
		model.TraceTensor("ffn_up", li, u)
		GeGLU(g, u)
		model.TraceTensor("ffn_geglu", li, g)
		m.Pool.MatMulRows(&m.WS, l.down, g, n, all, o)
		model.TraceTensor("ffn_out", li, o)
		model.RMSNormRows(o, o, l.postFFNNorm, n, p.Eps)
		model.TraceTensor("ffn_post_norm", li, o)
		kernels.Add(x, o)
		model.TraceTensor("l_out", li, x)
	}
	if nOut == 0 {
		return nil, nil
	}
	buf.sel = model.Grow(buf.sel, nOut*E)
	buf.logits = model.Grow(buf.logits, nOut*p.Vocab)
	m.Order.SelectNorm(buf.sel, x, m.outNorm, p.Eps)
	model.TraceTensor("result_norm", -1, buf.sel)
	m.Pool.MatMulRows(&m.WS, m.out, buf.sel, nOut, m.Order.Out, buf.logits)
	if c := p.FinalSoftcap; c != 0 {
		// logits = c · tanh(logits / c) as ggml's graph computes it:
		// scale by 1/c, glibc's tanhf, scale by c.
		inv := 1 / c
		for i, v := range buf.logits {
			buf.logits[i] = kernels.Tanhf(v*inv) * c
		}
	}
	model.TraceTensor("result_output", -1, buf.logits)
	return m.Order.Logits(buf.logits, p.Vocab), nil
}

// geluTable holds GELU (tanh form) of every float16 input, rounded to
// float16: ggml-cpu evaluates GELU by looking its input up here, and we
// must round the same way to match it. Each entry is computed as
// ggml_cpu_init's build does it: 1 + a·x·x as one fused multiply-add
// (fma(x, a·x, 1)), glibc's tanhf (kernels.Tanhf), the other products
// rounded one by one.
var geluTable = func() []float32 {
	t := make([]float32, 1<<16)
	const a, s2pi = float32(0.044715), float32(0.79788456080286535587989211986876)
	for i := range t {
		x := quant.FP16ToFP32(uint16(i))
		inner := float32(s2pi*x) * quant.FMA32(x, a*x, 1)
		y := float32(0.5*x) * float32(kernels.Tanhf(inner)+1)
		t[i] = quant.FP16ToFP32(quant.FP32ToFP16(y))
	}
	return t
}()

// GeGLU sets gate[i] = gelu(gate[i]) * up[i] as ggml-cpu does.
func GeGLU(gate, up []float32) {
	up = up[:len(gate)]
	for i, x := range gate {
		switch {
		case x <= -10:
			gate[i] = 0
		case x >= 10:
			gate[i] = x * up[i]
		default:
			gate[i] = geluTable[quant.FP32ToFP16(x)] * up[i]
		}
	}
}
