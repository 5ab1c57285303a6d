package engine

import (
	"sort"

	"github.com/hearthlm/hearth/gguf"
)

// MemoryEstimate is the memory a model needs at one context size.
type MemoryEstimate struct {
	Context    int   `json:"context"`
	KVBytes    int64 `json:"kv_bytes"`
	TotalBytes int64 `json:"total_bytes"`
}

// Report describes a model: what it is and what it needs.
type Report struct {
	Name          string           `json:"name"`
	Architecture  string           `json:"architecture"`
	Parameters    int64            `json:"parameters"`
	WeightBytes   int64            `json:"weight_bytes"`
	Quantization  string           `json:"quantization"`
	TensorTypes   map[string]int   `json:"tensor_types"`
	Layers        int              `json:"layers"`
	Embedding     int              `json:"embedding"`
	Heads         int              `json:"heads"`
	KVHeads       int              `json:"kv_heads"`
	HeadDim       int              `json:"head_dim"`
	FFN           int              `json:"ffn"`
	Vocab         int              `json:"vocab"`
	ContextLength int              `json:"context_length"`
	Tokenizer     string           `json:"tokenizer"`
	ChatTemplate  bool             `json:"chat_template"`
	Memory        []MemoryEstimate `json:"memory"`
}

// Inspect reports what the model is and what it needs.
func (m *Model) Inspect() Report {
	info := m.Net.Info()
	r := Report{
		Name: info.Name, Architecture: info.Arch, Parameters: info.Params, WeightBytes: info.WeightBytes,
		Layers: info.Layers, Embedding: info.Embedding, Heads: info.Heads, KVHeads: info.KVHeads,
		HeadDim: info.HeadDim, FFN: info.FFN, Vocab: info.Vocab, ContextLength: info.ContextLength,
		ChatTemplate: !m.Templates.Empty(), TensorTypes: map[string]int{},
	}
	r.Tokenizer, _ = m.File.Metadata.String("tokenizer.ggml.model")
	if pre, ok := m.File.Metadata.String("tokenizer.ggml.pre"); ok {
		r.Tokenizer += " (" + pre + ")"
	}
	// The quantization is the type holding most of the weight bytes.
	bytesBy := map[gguf.Type]uint64{}
	for _, t := range m.File.Tensors {
		r.TensorTypes[t.Type.String()]++
		bytesBy[t.Type] += t.Size
	}
	var best gguf.Type
	for t, b := range bytesBy {
		if b > bytesBy[best] || (b == bytesBy[best] && t < best) {
			best = t
		}
	}
	r.Quantization = best.String()
	ctxs := []int{2048, 4096, 8192, 32768, 131072, info.ContextLength}
	sort.Ints(ctxs)
	for i, c := range ctxs {
		if c > info.ContextLength || (i > 0 && c == ctxs[i-1]) {
			continue
		}
		kv := int64(info.Layers) * int64(c) * int64(info.KVHeads*info.HeadDim) * 2 * 2
		r.Memory = append(r.Memory, MemoryEstimate{Context: c, KVBytes: kv, TotalBytes: info.WeightBytes + kv})
	}
	return r
}
