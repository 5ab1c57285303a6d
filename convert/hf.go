package convert

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/hearthlm/hearth/gguf"
	"github.com/hearthlm/hearth/safetensors"
)

// Config is the part of a Transformers config.json conversion reads.
type Config struct {
	Architectures []string `json:"architectures"`
	ModelType     string   `json:"model_type"`
	Hidden        int      `json:"hidden_size"`
	Layers        int      `json:"num_hidden_layers"`
	Heads         int      `json:"num_attention_heads"`
	KVHeads       int      `json:"num_key_value_heads"`
	HeadDim       int      `json:"head_dim"`
	FFN           int      `json:"intermediate_size"`
	Vocab         int      `json:"vocab_size"`
	MaxPos        int      `json:"max_position_embeddings"`
	RMSEps        float64  `json:"rms_norm_eps"`
	RopeTheta     float64  `json:"rope_theta"`
	TieEmbeddings *bool    `json:"tie_word_embeddings"`
	SlidingWindow *int     `json:"sliding_window"`
	TorchDType    string   `json:"torch_dtype"`
	RopeLocalBase float64  `json:"rope_local_base_freq"`
	OrigMaxPos    int      `json:"original_max_position_embeddings"`
	AttnSoftcap   float64  `json:"attn_logit_softcapping"`
	FinalSoftcap  float64  `json:"final_logit_softcapping"`
	QueryScalar   float64  `json:"query_pre_attn_scalar"`
	PartialRotary *float64 `json:"partial_rotary_factor"`
	RopeScaling   *struct {
		Type           string  `json:"type"`
		RopeType       string  `json:"rope_type"`
		Factor         float64 `json:"factor"`
		LowFreqFactor  float64 `json:"low_freq_factor"`
		HighFreqFactor float64 `json:"high_freq_factor"`
		OrigMaxPos     int     `json:"original_max_position_embeddings"`
		// Phi-3 "longrope" (formerly "su"): rope frequency divisors for
		// contexts up to the original one and beyond it.
		LongFactor  []float64 `json:"long_factor"`
		ShortFactor []float64 `json:"short_factor"`
	} `json:"rope_scaling"`
}

// ropeScalingType is rope_scaling's rope_type, or its older spelling type.
func (c *Config) ropeScalingType() string {
	if c.RopeScaling == nil {
		return ""
	}
	if c.RopeScaling.RopeType != "" {
		return c.RopeScaling.RopeType
	}
	return c.RopeScaling.Type
}

// origContext is the context a long-context model was first trained on:
// original_max_position_embeddings at the top level (Phi-3) or in
// rope_scaling; def when neither says.
func (c *Config) origContext(def int) int {
	if c.OrigMaxPos > 0 {
		return c.OrigMaxPos
	}
	if c.RopeScaling != nil && c.RopeScaling.OrigMaxPos > 0 {
		return c.RopeScaling.OrigMaxPos
	}
	return def
}

// longRope reports whether the config asks for Phi-3's long-context rope
// (rope_scaling of type "longrope" or "su" with factors): llama.cpp then
// stores both factor sets and an attention factor.
func (c *Config) longRope() bool {
	t := c.ropeScalingType()
	return (t == "longrope" || t == "su") && len(c.RopeScaling.LongFactor) > 0
}

// LongRopeAttnFactor is the factor Phi-3's long-context rope scales cos and
// sin by, as llama.cpp's converter computes it from the extended context
// ctx and the original one orig: sqrt(1 + ln(ctx/orig)/ln(orig)), 1 when
// the context is not extended.
func LongRopeAttnFactor(ctx, orig int) float64 {
	scale := float64(ctx) / float64(orig)
	if scale <= 1 {
		return 1
	}
	return math.Sqrt(1 + math.Log(scale)/math.Log(float64(orig)))
}

// Options control Convert.
type Options struct {
	Type     FileType // F16 by default (the zero value is F32)
	Threads  int
	Name     string // general.name; the folder name by default
	Progress func(done, total int, name string)
}

// archSpec is one Transformers architecture: its GGUF name and how its
// tensors and hyperparameters map.
type archSpec struct {
	gguf      string
	permuteQK bool // llama-style rope: HF stores q/k for rotate_half, GGUF for adjacent pairs
	qkvBias   bool
	qkNorm    bool
	// gemma: norm weights are stored as w for a scale of 1 + w; pre and
	// post norms around both attention and feed-forward.
	gemma bool
	// fused: one q/k/v projection and one gate/up projection (Phi-3).
	fused bool
}

var archs = map[string]archSpec{
	"LlamaForCausalLM":   {gguf: "llama", permuteQK: true},
	"MistralForCausalLM": {gguf: "llama", permuteQK: true},
	"Qwen2ForCausalLM":   {gguf: "qwen2", qkvBias: true},
	"Qwen3ForCausalLM":   {gguf: "qwen3", qkNorm: true},
	"Gemma2ForCausalLM":  {gguf: "gemma2", gemma: true},
	"Gemma3ForCausalLM":  {gguf: "gemma3", qkNorm: true, gemma: true},
	"Phi3ForCausalLM":    {gguf: "phi3", fused: true},
}

// Architectures lists the Transformers architectures Convert knows.
func Architectures() []string {
	var out []string
	for k := range archs {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ReadConfig reads config.json of a model folder.
func ReadConfig(dir string) (*Config, error) {
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		return nil, fmt.Errorf("convert: %w", err)
	}
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("convert: config.json: %w", err)
	}
	return &c, nil
}

// source is one output tensor and where its values come from.
type source struct {
	out     OutTensor
	hf      string    // safetensors name; "" for computed tensors
	values  []float32 // computed tensors
	permute int       // heads to un-rotate (llama q/k), 0 for none
	addOne  bool      // Gemma norms: store 1 + w
}

// Convert turns the Hugging Face checkpoint in dir (config.json,
// safetensors, tokenizer.json) into a GGUF file at out that llama.cpp
// loads. Tensors stream one at a time from the mmapped checkpoint; out
// appears only when complete.
func Convert(dir, out string, opts Options) error {
	return convertAs(dir, out, opts, nil)
}

// convertAs is Convert with the architecture's mapping replaced (tests).
func convertAs(dir, out string, opts Options, override *archSpec) error {
	cfg, err := ReadConfig(dir)
	if err != nil {
		return err
	}
	if len(cfg.Architectures) == 0 {
		return fmt.Errorf("convert: config.json names no architecture")
	}
	arch, ok := archs[cfg.Architectures[0]]
	if !ok {
		return fmt.Errorf("convert: architecture %q is not supported (supported: %s)", cfg.Architectures[0], strings.Join(Architectures(), ", "))
	}
	if override != nil {
		arch = *override
	}
	for _, f := range []struct {
		v    int
		name string
	}{{cfg.Hidden, "hidden_size"}, {cfg.Layers, "num_hidden_layers"}, {cfg.Heads, "num_attention_heads"}, {cfg.FFN, "intermediate_size"}, {cfg.Vocab, "vocab_size"}} {
		if f.v <= 0 {
			return fmt.Errorf("convert: config.json: %s is missing or not positive", f.name)
		}
	}
	if cfg.KVHeads == 0 {
		cfg.KVHeads = cfg.Heads
	}
	if cfg.HeadDim == 0 {
		cfg.HeadDim = cfg.Hidden / cfg.Heads
	}
	if cfg.Heads%cfg.KVHeads != 0 {
		return fmt.Errorf("convert: config.json: %d heads cannot share %d KV heads", cfg.Heads, cfg.KVHeads)
	}
	st, err := safetensors.OpenDir(dir)
	if err != nil {
		return err
	}
	defer st.Close()

	md, err := hfMetadata(dir, cfg, arch, opts)
	if err != nil {
		return err
	}
	vocab, err := VocabFromDir(dir, cfg.Vocab)
	if err != nil {
		return err
	}
	md = append(md, vocab...)

	srcs, err := tensorMap(cfg, arch, st)
	if err != nil {
		return err
	}
	names := make([]string, len(srcs))
	for i := range srcs {
		names[i] = srcs[i].out.Name
	}
	mixer := NewMixer(opts.Type, false, cfg.Heads/cfg.KVHeads, names)
	ts := make([]OutTensor, len(srcs))
	for i := range srcs {
		s := &srcs[i]
		s.out.Type = mixer.Type(s.out.Name, len(s.out.Shape), int(s.out.Shape[0]), gguf.TypeF32)
		if len(s.out.Shape) >= 2 && opts.Type == FileAllF32 {
			s.out.Type = gguf.TypeF32
		}
		ts[i] = s.out
	}
	threads := opts.Threads
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	return WriteStream(out, md, ts, func(i int, dst []byte) error {
		s := &srcs[i]
		var err error
		if s.hf == "" {
			err = quantizeValues(s.out.Name, s.values, dst, s.out.Type, int(s.out.Shape[0]))
		} else {
			info, data, _ := st.Tensor(s.hf)
			err = convertHF(s, info, data, dst, threads)
		}
		if err == nil && opts.Progress != nil {
			opts.Progress(i+1, len(srcs), s.out.Name)
		}
		return err
	})
}

func hfMetadata(dir string, cfg *Config, arch archSpec, opts Options) (gguf.Metadata, error) {
	a := arch.gguf
	u32 := func(k string, v int) gguf.KV {
		return gguf.KV{Key: a + "." + k, Value: gguf.Value{Type: gguf.Uint32, V: uint32(v)}}
	}
	f32 := func(k string, v float64) gguf.KV {
		return gguf.KV{Key: a + "." + k, Value: gguf.Value{Type: gguf.Float32, V: float32(v)}}
	}
	name := opts.Name
	if name == "" {
		abs, _ := filepath.Abs(dir)
		name = filepath.Base(abs)
	}
	md := gguf.Metadata{
		{Key: "general.architecture", Value: gguf.Value{Type: gguf.String, V: a}},
		{Key: "general.type", Value: gguf.Value{Type: gguf.String, V: "model"}},
		{Key: "general.name", Value: gguf.Value{Type: gguf.String, V: name}},
	}
	ctx := cfg.MaxPos
	if ctx == 0 {
		ctx = 2048
	}
	md = append(md, u32("block_count", cfg.Layers), u32("context_length", ctx), u32("embedding_length", cfg.Hidden),
		u32("feed_forward_length", cfg.FFN), u32("attention.head_count", cfg.Heads), u32("attention.head_count_kv", cfg.KVHeads))
	theta := cfg.RopeTheta
	if theta == 0 {
		theta = 10000
		if a == "gemma3" {
			theta = 1e6
		}
	}
	md = append(md, f32("rope.freq_base", theta))
	eps := cfg.RMSEps
	if eps == 0 {
		eps = 1e-6
	}
	md = append(md, f32("attention.layer_norm_rms_epsilon", eps))
	if cfg.HeadDim != cfg.Hidden/cfg.Heads || a != "llama" {
		md = append(md, u32("attention.key_length", cfg.HeadDim), u32("attention.value_length", cfg.HeadDim))
	}
	if a == "llama" {
		md = append(md, u32("vocab_size", cfg.Vocab), u32("rope.dimension_count", cfg.HeadDim))
	}
	if a == "phi3" {
		md = append(md, u32("rope.dimension_count", cfg.HeadDim))
		orig := cfg.origContext(ctx)
		md = append(md, u32("rope.scaling.original_context_length", orig))
		if cfg.SlidingWindow != nil && *cfg.SlidingWindow > 0 {
			md = append(md, u32("attention.sliding_window", *cfg.SlidingWindow))
		}
		if cfg.PartialRotary != nil && *cfg.PartialRotary != 1 {
			return nil, fmt.Errorf("convert: config.json: partial_rotary_factor %g (partial rotary embeddings, Phi-4-mini) is not supported", *cfg.PartialRotary)
		}
		if cfg.longRope() {
			rs := cfg.RopeScaling
			if len(rs.ShortFactor) != len(rs.LongFactor) || len(rs.LongFactor) != cfg.HeadDim/2 {
				return nil, fmt.Errorf("convert: config.json: rope_scaling has %d long and %d short factors, want %d of each (one per rotated pair)",
					len(rs.LongFactor), len(rs.ShortFactor), cfg.HeadDim/2)
			}
			md = append(md, f32("rope.scaling.attn_factor", LongRopeAttnFactor(ctx, orig)))
		}
	}
	if arch.gemma {
		if cfg.SlidingWindow == nil || *cfg.SlidingWindow <= 0 {
			return nil, fmt.Errorf("convert: config.json: sliding_window is missing")
		}
		md = append(md, u32("attention.sliding_window", *cfg.SlidingWindow))
		if a == "gemma2" {
			md = append(md, f32("attn_logit_softcapping", cfg.AttnSoftcap), f32("final_logit_softcapping", cfg.FinalSoftcap))
		}
		if cfg.QueryScalar != 0 && cfg.QueryScalar != float64(cfg.HeadDim) {
			md = append(md, f32("attention.scale", 1/math.Sqrt(cfg.QueryScalar)))
		}
		if cfg.RopeLocalBase != 0 && cfg.RopeLocalBase != 10000 {
			return nil, fmt.Errorf("convert: config.json: rope_local_base_freq %g: llama.cpp assumes 10000", cfg.RopeLocalBase)
		}
	}
	if rs := cfg.RopeScaling; rs != nil {
		typ := rs.RopeType
		if typ == "" {
			typ = rs.Type
		}
		switch typ {
		case "llama3", "default", "":
		case "longrope", "su":
			if a != "phi3" {
				return nil, fmt.Errorf("convert: config.json: rope_scaling type %q is supported for Phi-3 only", typ)
			}
		case "linear":
			md = append(md, gguf.KV{Key: a + ".rope.scaling.type", Value: gguf.Value{Type: gguf.String, V: "linear"}}, f32("rope.scaling.factor", rs.Factor))
		default:
			return nil, fmt.Errorf("convert: config.json: rope_scaling type %q is not supported", typ)
		}
	}
	md = append(md,
		gguf.KV{Key: "general.file_type", Value: gguf.Value{Type: gguf.Uint32, V: uint32(opts.Type)}},
		gguf.KV{Key: "general.quantization_version", Value: gguf.Value{Type: gguf.Uint32, V: uint32(2)}},
	)
	return md, nil
}

// tensorMap lists the GGUF tensors in llama.cpp's order with their sources,
// checking that every tensor the architecture needs is present with the
// right shape and that no checkpoint tensor is left unused.
func tensorMap(cfg *Config, arch archSpec, st *safetensors.Model) ([]source, error) {
	E, L, V, F := cfg.Hidden, cfg.Layers, cfg.Vocab, cfg.FFN
	D := cfg.HeadDim
	qd, kvd := cfg.Heads*D, cfg.KVHeads*D
	used := map[string]bool{}
	var srcs []source
	var errs []string
	add := func(gg, hf string, permute int, shape ...int) {
		addOne := arch.gemma && strings.HasSuffix(gg, "norm.weight")
		info, _, ok := st.Tensor(hf)
		if !ok {
			errs = append(errs, fmt.Sprintf("tensor %q is missing", hf))
			return
		}
		used[hf] = true
		// HF shapes are outermost first; GGUF's innermost first.
		want := make([]int64, len(shape))
		for i, s := range shape {
			want[len(shape)-1-i] = int64(s)
		}
		if fmt.Sprint(info.Shape) != fmt.Sprint(want) {
			errs = append(errs, fmt.Sprintf("tensor %q has shape %v, want %v", hf, info.Shape, want))
			return
		}
		out := make([]uint64, len(shape))
		for i, s := range shape {
			out[i] = uint64(s)
		}
		srcs = append(srcs, source{out: OutTensor{Name: gg, Shape: out}, hf: hf, permute: permute, addOne: addOne})
	}
	add("token_embd.weight", "model.embed_tokens.weight", 0, E, V)
	if rs := cfg.RopeScaling; rs != nil && (rs.RopeType == "llama3" || rs.Type == "llama3") {
		f := Llama3RopeFactors(D, cfg.RopeTheta, rs.Factor, rs.LowFreqFactor, rs.HighFreqFactor, rs.OrigMaxPos)
		srcs = append(srcs, source{out: OutTensor{Name: "rope_freqs.weight", Shape: []uint64{uint64(len(f))}}, values: f})
	}
	if arch.gguf == "phi3" && cfg.longRope() {
		for _, f := range []struct {
			name string
			v    []float64
		}{{"rope_factors_long.weight", cfg.RopeScaling.LongFactor}, {"rope_factors_short.weight", cfg.RopeScaling.ShortFactor}} {
			v := make([]float32, len(f.v))
			for i, x := range f.v {
				v[i] = float32(x)
			}
			srcs = append(srcs, source{out: OutTensor{Name: f.name, Shape: []uint64{uint64(len(v))}}, values: v})
		}
	}
	qPerm, kPerm := 0, 0
	if arch.permuteQK {
		qPerm, kPerm = cfg.Heads, cfg.KVHeads
	}
	for i := range L {
		p := fmt.Sprintf("model.layers.%d.", i)
		b := fmt.Sprintf("blk.%d.", i)
		if arch.fused {
			add(b+"attn_norm.weight", p+"input_layernorm.weight", 0, E)
			add(b+"attn_qkv.weight", p+"self_attn.qkv_proj.weight", 0, E, qd+2*kvd)
			add(b+"attn_output.weight", p+"self_attn.o_proj.weight", 0, qd, E)
			add(b+"ffn_norm.weight", p+"post_attention_layernorm.weight", 0, E)
			add(b+"ffn_up.weight", p+"mlp.gate_up_proj.weight", 0, E, 2*F)
			add(b+"ffn_down.weight", p+"mlp.down_proj.weight", 0, F, E)
			continue
		}
		add(b+"attn_norm.weight", p+"input_layernorm.weight", 0, E)
		add(b+"attn_q.weight", p+"self_attn.q_proj.weight", qPerm, E, qd)
		add(b+"attn_k.weight", p+"self_attn.k_proj.weight", kPerm, E, kvd)
		add(b+"attn_v.weight", p+"self_attn.v_proj.weight", 0, E, kvd)
		if arch.qkvBias {
			add(b+"attn_q.bias", p+"self_attn.q_proj.bias", 0, qd)
			add(b+"attn_k.bias", p+"self_attn.k_proj.bias", 0, kvd)
			add(b+"attn_v.bias", p+"self_attn.v_proj.bias", 0, kvd)
		}
		add(b+"attn_output.weight", p+"self_attn.o_proj.weight", 0, qd, E)
		if arch.qkNorm {
			add(b+"attn_q_norm.weight", p+"self_attn.q_norm.weight", 0, D)
			add(b+"attn_k_norm.weight", p+"self_attn.k_norm.weight", 0, D)
		}
		if arch.gemma {
			add(b+"post_attention_norm.weight", p+"post_attention_layernorm.weight", 0, E)
			add(b+"ffn_norm.weight", p+"pre_feedforward_layernorm.weight", 0, E)
			add(b+"post_ffw_norm.weight", p+"post_feedforward_layernorm.weight", 0, E)
		} else {
			add(b+"ffn_norm.weight", p+"post_attention_layernorm.weight", 0, E)
		}
		add(b+"ffn_gate.weight", p+"mlp.gate_proj.weight", 0, E, F)
		add(b+"ffn_up.weight", p+"mlp.up_proj.weight", 0, E, F)
		add(b+"ffn_down.weight", p+"mlp.down_proj.weight", 0, F, E)
	}
	add("output_norm.weight", "model.norm.weight", 0, E)
	tied := cfg.TieEmbeddings == nil || *cfg.TieEmbeddings || arch.gemma
	if _, _, ok := st.Tensor("lm_head.weight"); ok && !tied {
		add("output.weight", "lm_head.weight", 0, E, V)
	} else if ok {
		used["lm_head.weight"] = true // a tied head stored anyway
	} else if !tied {
		errs = append(errs, `tensor "lm_head.weight" is missing (tie_word_embeddings is false)`)
	}
	for _, n := range st.Names() {
		if !used[n] && !strings.HasSuffix(n, "rotary_emb.inv_freq") {
			errs = append(errs, fmt.Sprintf("tensor %q is not used by %s", n, cfg.Architectures[0]))
		}
	}
	if len(errs) > 0 {
		if len(errs) > 8 {
			errs = append(errs[:8], fmt.Sprintf("and %d more", len(errs)-8))
		}
		return nil, fmt.Errorf("convert: %s", strings.Join(errs, "; "))
	}
	return srcs, nil
}

// Llama3RopeFactors are the frequency divisors of Llama 3.1-style rope
// scaling that llama.cpp stores as rope_freqs.weight: wavelengths longer
// than orig/low are slowed by factor, shorter than orig/high are kept, and
// the band between is interpolated.
func Llama3RopeFactors(headDim int, base, factor, low, high float64, orig int) []float32 {
	if factor == 0 {
		factor = 8
	}
	if low == 0 {
		low = 1
	}
	if high == 0 {
		high = 4
	}
	if orig == 0 {
		orig = 8192
	}
	lowWave, highWave := float64(orig)/low, float64(orig)/high
	out := make([]float32, headDim/2)
	for i := range out {
		freq := 1 / math.Pow(base, float64(2*i)/float64(headDim))
		wave := 2 * math.Pi / freq
		switch {
		case wave < highWave:
			out[i] = 1
		case wave > lowWave:
			out[i] = float32(factor)
		default:
			smooth := (float64(orig)/wave - low) / (high - low)
			out[i] = float32(1 / ((1-smooth)/factor + smooth))
		}
	}
	return out
}

func quantizeValues(name string, v []float32, dst []byte, t gguf.Type, rowLen int) error {
	rb, err := t.RowSize(rowLen)
	if err != nil {
		return fmt.Errorf("convert: tensor %q: %w", name, err)
	}
	for r := 0; r*rowLen < len(v); r++ {
		if err := quantRow(t, v[r*rowLen:(r+1)*rowLen], dst[r*rb:(r+1)*rb]); err != nil {
			return fmt.Errorf("convert: tensor %q: %w", name, err)
		}
	}
	return nil
}

// convertHF writes one checkpoint tensor as its GGUF type, in parallel
// over row chunks, un-permuting llama q/k rows on the way.
func convertHF(s *source, info *safetensors.TensorInfo, data []byte, dst []byte, threads int) error {
	rowLen := int(s.out.Shape[0])
	rows := int(info.Elements()) / rowLen
	esz := info.DType.Size()
	srb := rowLen * esz
	drb, err := s.out.Type.RowSize(rowLen)
	if err != nil {
		return fmt.Errorf("convert: tensor %q: %w", s.out.Name, err)
	}
	srcRow := func(r int) int { return r }
	if s.permute > 0 {
		// GGUF row h*D + 2i + j holds HF row h*D + j*D/2 + i.
		D := rows / s.permute
		srcRow = func(r int) int {
			h, k := r/D, r%D
			return h*D + (k%2)*(D/2) + k/2
		}
	}
	return parallelRows(rows, drb, threads, func(buf []float32, r int) error {
		sr := srcRow(r)
		if err := safetensors.Float32s(info.DType, data[sr*srb:(sr+1)*srb], buf[:rowLen]); err != nil {
			return fmt.Errorf("convert: tensor %q: %w", s.hf, err)
		}
		if s.addOne {
			for i := range buf[:rowLen] {
				buf[i]++
			}
		}
		if err := quantRow(s.out.Type, buf[:rowLen], dst[r*drb:(r+1)*drb]); err != nil {
			return fmt.Errorf("convert: tensor %q: %w", s.out.Name, err)
		}
		return nil
	}, rowLen)
}
