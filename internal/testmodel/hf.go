package testmodel

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/hearthlm/hearth/quant"
	"github.com/hearthlm/hearth/safetensors"
)

// hfArch is the Transformers class of a spec's GGUF architecture.
var hfArch = map[string]string{"llama": "LlamaForCausalLM", "qwen2": "Qwen2ForCausalLM", "qwen3": "Qwen3ForCausalLM", "gemma3": "Gemma3ForCausalLM", "phi3": "Phi3ForCausalLM", "gemma2": "Gemma2ForCausalLM"}

// HFTensor is one checkpoint tensor: its Transformers name and shape
// (outermost first).
type HFTensor struct {
	Name  string
	Shape []int64
}

// HFTensors lists the checkpoint tensors of the spec.
func (s Spec) HFTensors() []HFTensor {
	qd, kvd := int64(s.Heads*s.HeadDim), int64(s.KVHeads*s.HeadDim)
	E, F, V := int64(s.Embd), int64(s.FFN), int64(s.Vocab)
	ts := []HFTensor{{"model.embed_tokens.weight", []int64{V, E}}}
	for i := range s.Layers {
		p := fmt.Sprintf("model.layers.%d.", i)
		if s.Arch == "phi3" { // fused projections
			ts = append(ts,
				HFTensor{p + "input_layernorm.weight", []int64{E}},
				HFTensor{p + "self_attn.qkv_proj.weight", []int64{qd + 2*kvd, E}},
				HFTensor{p + "self_attn.o_proj.weight", []int64{E, qd}},
				HFTensor{p + "post_attention_layernorm.weight", []int64{E}},
				HFTensor{p + "mlp.gate_up_proj.weight", []int64{2 * F, E}},
				HFTensor{p + "mlp.down_proj.weight", []int64{E, F}})
			continue
		}
		ts = append(ts,
			HFTensor{p + "input_layernorm.weight", []int64{E}},
			HFTensor{p + "self_attn.q_proj.weight", []int64{qd, E}},
			HFTensor{p + "self_attn.k_proj.weight", []int64{kvd, E}},
			HFTensor{p + "self_attn.v_proj.weight", []int64{kvd, E}},
			HFTensor{p + "self_attn.o_proj.weight", []int64{E, qd}})
		if s.QKVBias {
			ts = append(ts,
				HFTensor{p + "self_attn.q_proj.bias", []int64{qd}},
				HFTensor{p + "self_attn.k_proj.bias", []int64{kvd}},
				HFTensor{p + "self_attn.v_proj.bias", []int64{kvd}})
		}
		if s.QKNorm {
			ts = append(ts,
				HFTensor{p + "self_attn.q_norm.weight", []int64{int64(s.HeadDim)}},
				HFTensor{p + "self_attn.k_norm.weight", []int64{int64(s.HeadDim)}})
		}
		if s.Arch == "gemma3" || s.Arch == "gemma2" {
			ts = append(ts, HFTensor{p + "pre_feedforward_layernorm.weight", []int64{E}},
				HFTensor{p + "post_feedforward_layernorm.weight", []int64{E}})
		}
		ts = append(ts,
			HFTensor{p + "post_attention_layernorm.weight", []int64{E}},
			HFTensor{p + "mlp.gate_proj.weight", []int64{F, E}},
			HFTensor{p + "mlp.up_proj.weight", []int64{F, E}},
			HFTensor{p + "mlp.down_proj.weight", []int64{E, F}})
	}
	ts = append(ts, HFTensor{"model.norm.weight", []int64{E}})
	if !s.Tied {
		ts = append(ts, HFTensor{"lm_head.weight", []int64{V, E}})
	}
	return ts
}

// HFConfig is the spec's config.json.
func (s Spec) HFConfig(dtype safetensors.DType) map[string]any {
	torch := map[safetensors.DType]string{safetensors.F32: "float32", safetensors.F16: "float16", safetensors.BF16: "bfloat16"}[dtype]
	c := map[string]any{
		"architectures":           []string{hfArch[s.Arch]},
		"model_type":              s.Arch,
		"hidden_size":             s.Embd,
		"num_hidden_layers":       s.Layers,
		"num_attention_heads":     s.Heads,
		"num_key_value_heads":     s.KVHeads,
		"head_dim":                s.HeadDim,
		"intermediate_size":       s.FFN,
		"vocab_size":              s.Vocab,
		"max_position_embeddings": s.Ctx,
		"rms_norm_eps":            s.Eps,
		"rope_theta":              s.RopeBase,
		"tie_word_embeddings":     s.Tied,
		"torch_dtype":             torch,
		"hidden_act":              "silu",
	}
	if s.Arch == "gemma2" {
		c["model_type"] = "gemma2"
		c["sliding_window"] = s.SlidingWindow
		c["query_pre_attn_scalar"] = s.HeadDim
		c["attn_logit_softcapping"] = s.AttnSoftcap
		c["final_logit_softcapping"] = s.FinalSoftcap
		c["hidden_activation"] = "gelu_pytorch_tanh"
		delete(c, "hidden_act")
	}
	if s.Arch == "gemma3" {
		c["model_type"] = "gemma3_text"
		c["sliding_window"] = s.SlidingWindow
		c["sliding_window_pattern"] = s.SWAPattern
		c["rope_local_base_freq"] = s.RopeLocalBase
		c["query_pre_attn_scalar"] = s.HeadDim
		c["hidden_activation"] = "gelu_pytorch_tanh"
		delete(c, "hidden_act")
	}
	if s.Arch == "phi3" {
		c["model_type"] = "phi3"
		c["sliding_window"] = s.SlidingWindow
		c["original_max_position_embeddings"] = s.Ctx
		delete(c, "head_dim")
		if s.LongRope {
			short, long := s.LongRopeFactors()
			c["original_max_position_embeddings"] = s.OrigCtx
			c["rope_scaling"] = map[string]any{"type": "longrope", "short_factor": short, "long_factor": long}
		}
	}
	if s.RopeFreqs {
		c["rope_scaling"] = map[string]any{
			"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
			"original_max_position_embeddings": 8192,
		}
	}
	return c
}

// WriteHF writes a random-weight Transformers checkpoint of the spec into
// dir: config.json, model.safetensors (or shards of at most shardBytes
// when shardBytes > 0, with model.safetensors.index.json), tokenizer.json
// and tokenizer_config.json. Weights are drawn like WriteGGUF's.
func WriteHF(dir string, spec Spec, dtype safetensors.DType, seed int64, shardBytes int64) error {
	if hfArch[spec.Arch] == "" {
		return fmt.Errorf("testmodel: no Transformers class for %q", spec.Arch)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	cfg, _ := json.MarshalIndent(spec.HFConfig(dtype), "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "config.json"), cfg, 0o644); err != nil {
		return err
	}
	if err := spec.writeTokenizer(dir); err != nil {
		return err
	}
	var shard []safetensors.WriteTensor
	var size int64
	var shards [][]safetensors.WriteTensor
	for i, t := range spec.HFTensors() {
		data := spec.hfValues(t, dtype, uint64(seed), uint64(i))
		if shardBytes > 0 && size > 0 && size+int64(len(data)) > shardBytes {
			shards = append(shards, shard)
			shard, size = nil, 0
		}
		shard = append(shard, safetensors.WriteTensor{Name: t.Name, DType: dtype, Shape: t.Shape, Data: data})
		size += int64(len(data))
	}
	shards = append(shards, shard)
	if len(shards) == 1 {
		return safetensors.Write(filepath.Join(dir, "model.safetensors"), shards[0], map[string]string{"format": "pt"})
	}
	weightMap := map[string]string{}
	for i, sh := range shards {
		name := fmt.Sprintf("model-%05d-of-%05d.safetensors", i+1, len(shards))
		if err := safetensors.Write(filepath.Join(dir, name), sh, map[string]string{"format": "pt"}); err != nil {
			return err
		}
		for _, t := range sh {
			weightMap[t.Name] = name
		}
	}
	idx, _ := json.MarshalIndent(map[string]any{"metadata": map[string]any{}, "weight_map": weightMap}, "", "  ")
	return os.WriteFile(filepath.Join(dir, safetensors.IndexName), idx, 0o644)
}

func (s Spec) hfValues(t HFTensor, dtype safetensors.DType, seed, index uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1<<63|index))
	n := int64(1)
	for _, d := range t.Shape {
		n *= d
	}
	v := make([]float32, n)
	switch {
	case len(t.Shape) >= 2:
		sigma := 1 / math.Sqrt(float64(t.Shape[len(t.Shape)-1]))
		for i := range v {
			v[i] = float32(r.NormFloat64() * sigma)
		}
	case filepath.Ext(t.Name) == ".bias":
		for i := range v {
			v[i] = float32(r.NormFloat64() * 0.5)
		}
	case s.Arch == "gemma3" || s.Arch == "gemma2": // Gemma stores norm weights w for a scale of 1 + w
		for i := range v {
			v[i] = float32(r.NormFloat64() * 0.1)
		}
	default:
		for i := range v {
			v[i] = float32(1 + r.NormFloat64()*0.1)
		}
	}
	out := make([]byte, n*int64(dtype.Size()))
	for i, x := range v {
		switch dtype {
		case safetensors.F32:
			binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(x))
		case safetensors.F16:
			binary.LittleEndian.PutUint16(out[2*i:], quant.FP32ToFP16(x))
		case safetensors.BF16:
			binary.LittleEndian.PutUint16(out[2*i:], quant.FP32ToBF16(x))
		}
	}
	return out
}

// writeTokenizer copies the spec's real tokenizer from the shared corpus,
// or writes a small byte-level BPE tokenizer.json in its place.
func (s Spec) writeTokenizer(dir string) error {
	if p := SharedTokenizer(s.Tokenizer); p != "" {
		for _, f := range []string{"tokenizer.json", "tokenizer_config.json"} {
			b, err := os.ReadFile(filepath.Join(filepath.Dir(p), f))
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
				return err
			}
		}
		return nil
	}
	b, c := ByteTokenizerJSON()
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), b, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), c, 0o644)
}

// ByteTokenizerJSON is a small Qwen2-style byte-level BPE tokenizer.json
// (the 256 bytes, five merges, <|endoftext|>) and its tokenizer_config.json.
func ByteTokenizerJSON() (tokenizerJSON, configJSON []byte) {
	vocab := map[string]int{}
	for b := range 256 {
		vocab[byteChar(byte(b))] = b
	}
	var merges [][2]string
	for _, p := range [][2]string{{"Ġ", "t"}, {"h", "e"}, {"Ġt", "he"}, {"i", "n"}, {"Ġ", "a"}} {
		merges = append(merges, p)
		vocab[p[0]+p[1]] = len(vocab)
	}
	eos := len(vocab)
	tj := map[string]any{
		"version":    "1.0",
		"truncation": nil,
		"padding":    nil,
		"added_tokens": []map[string]any{{"id": eos, "content": "<|endoftext|>", "single_word": false, "lstrip": false,
			"rstrip": false, "normalized": false, "special": true}},
		"normalizer": nil,
		"pre_tokenizer": map[string]any{"type": "Sequence", "pretokenizers": []any{
			map[string]any{"type": "Split", "pattern": map[string]any{"Regex": `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`},
				"behavior": "Isolated", "invert": false},
			map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false},
		}},
		"post_processor": map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false},
		"decoder":        map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false},
		"model": map[string]any{"type": "BPE", "dropout": nil, "unk_token": nil, "continuing_subword_prefix": "",
			"end_of_word_suffix": "", "fuse_unk": false, "byte_fallback": false, "ignore_merges": false, "vocab": vocab, "merges": merges},
	}
	tb, _ := json.Marshal(tj)
	cb, _ := json.Marshal(map[string]any{"add_bos_token": false, "bos_token": nil, "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>",
		"tokenizer_class": "Qwen2Tokenizer"})
	return tb, cb
}
