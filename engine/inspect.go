package engine

import (
	"sort"

	"github.com/hearthlm/hearth/chat"
	"github.com/hearthlm/hearth/gguf"
	"github.com/hearthlm/hearth/plan"
)

// Report describes a model: what it is and what it needs.
type Report struct {
	Name          string         `json:"name"`
	Architecture  string         `json:"architecture"`
	Parameters    int64          `json:"parameters"`
	WeightBytes   int64          `json:"weight_bytes"`
	Quantization  string         `json:"quantization"`
	TensorTypes   map[string]int `json:"tensor_types"`
	Layers        int            `json:"layers"`
	Embedding     int            `json:"embedding"`
	Heads         int            `json:"heads"`
	KVHeads       int            `json:"kv_heads"`
	HeadDim       int            `json:"head_dim"`
	FFN           int            `json:"ffn"`
	Vocab         int            `json:"vocab"`
	ContextLength int            `json:"context_length"`
	Tokenizer     string         `json:"tokenizer"`
	ChatTemplate  bool           `json:"chat_template"`
	// Templates lists the named template variants besides the default.
	Templates []string `json:"template_variants,omitempty"`
	// Tools and Thinking say whether the chat template handles tool
	// calls and reasoning, as read from the template itself.
	Tools    bool `json:"tools"`
	Thinking bool `json:"thinking"`
	// Memory is the planner's estimate at several context sizes on this
	// machine, with the KV type of the plan; Plan is what `hearth run`
	// uses here with no flags.
	Memory  []plan.Estimate `json:"memory"`
	Machine plan.Machine    `json:"machine"`
	Plan    plan.Choice     `json:"plan"`
	PlanErr string          `json:"plan_error,omitempty"`
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
	kv := m.Plan.KVType
	if kv == "" {
		kv = plan.KVF16
	}
	ctxs := []int{512, 2048, 8192, 32768, 131072, info.ContextLength}
	sort.Ints(ctxs)
	for i, c := range ctxs {
		if c > info.ContextLength || (i > 0 && c == ctxs[i-1]) {
			continue
		}
		r.Memory = append(r.Memory, plan.EstimateMemory(m.Facts, c, kv).WithMachine(m.Machine))
	}
	r.Machine = m.Machine
	r.Plan = m.Plan
	if _, err := plan.Decide(m.Machine, m.Facts, plan.Request{}); err != nil {
		r.PlanErr = err.Error()
	}
	if src, err := m.Templates.Pick("", false); err == nil {
		if t, err := chat.Parse(src); err == nil {
			f := chat.DetectFormat(t)
			r.Tools = f.Tools != ""
			r.Thinking = f.ThinkStart != ""
		}
	}
	r.Templates = m.Templates.Names()
	return r
}
