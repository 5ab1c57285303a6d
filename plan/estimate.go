package plan

import "fmt"

// ModelFacts are what the estimate needs to know about a model; the
// engine fills them from the GGUF file.
type ModelFacts struct {
	FileBytes     int64 // the whole file, mapped (its pages become resident as they are read)
	Layers        int
	Embedding     int
	Heads         int
	KVHeads       int
	HeadDim       int
	FFN           int
	Vocab         int
	ContextLength int // trained context
	// ActivationBytesPerElem is the size of one element of the widest
	// activation row after conversion to the weights' dot-product type
	// (4 for F32 weights, 2 for F16, ~1.06 for Q8_0/Q8_K).
	ActivationBytesPerElem float64
	// TokenizerBytes is the tokenizer's measured heap.
	TokenizerBytes int64
}

// KVType is the element type of the KV cache.
type KVType string

// KV cache types.
const (
	KVF16  KVType = "f16"
	KVQ8_0 KVType = "q8_0"
)

func (t KVType) bytesPerElem() float64 {
	if t == KVQ8_0 {
		return 34.0 / 32
	}
	return 2
}

// Estimate is the memory a model needs, by part.
type Estimate struct {
	Context  int    `json:"context"`
	KVType   KVType `json:"kv_type"`
	Weights  int64  `json:"weights_bytes"`
	KVCache  int64  `json:"kv_cache_bytes"`
	Compute  int64  `json:"compute_bytes"`
	Runtime  int64  `json:"runtime_bytes"`
	Total    int64  `json:"total_bytes"`
	Fits     bool   `json:"fits"`
	Headroom int64  `json:"headroom_bytes"` // usable RAM left (negative: short by)
}

// RuntimeBaseline is the resident memory of the hearth process before any
// model: the Go runtime, the binary's code and data, and the garbage
// collector's slack. Measured with `hearth run --verbose` on linux/amd64
// (peak RSS minus the model's parts) and kept as a constant.
const RuntimeBaseline = 9400 << 10

// BatchSize is the prompt batch the engine prefills with.
const BatchSize = 512

// EstimateMemory is the peak resident memory of running the model with a
// context of ctx tokens (one sequence), after a full-context prefill.
func EstimateMemory(f ModelFacts, ctx int, kv KVType) Estimate {
	e := Estimate{Context: ctx, KVType: kv}
	// Mapped file pages (or, for the embedded demo, the binary's data
	// pages) become resident as the weights are read.
	e.Weights = f.FileBytes
	kvDim := f.KVHeads * f.HeadDim
	e.KVCache = int64(float64(f.Layers) * float64(ctx) * float64(kvDim) * 2 * kv.bytesPerElem())
	n := int64(min(ctx, BatchSize))
	qd := int64(f.Heads * f.HeadDim)
	floats := n*(3*int64(f.Embedding)+2*qd+2*int64(kvDim)+2*int64(f.FFN)) + int64(f.Vocab) + int64(f.Embedding)
	widest := int64(max(f.Embedding, f.FFN, int(qd)))
	e.Compute = floats*4 + int64(float64(n*widest)*f.ActivationBytesPerElem)
	e.Runtime = RuntimeBaseline + f.TokenizerBytes
	e.Total = e.Weights + e.KVCache + e.Compute + e.Runtime
	return e
}

// WithMachine marks whether the estimate fits the machine's usable RAM.
func (e Estimate) WithMachine(m Machine) Estimate {
	e.Headroom = int64(m.UsableRAM()) - e.Total
	e.Fits = e.Headroom >= 0
	return e
}

func (e Estimate) String() string {
	return fmt.Sprintf("context %d (%s KV): %s = weights %s + KV %s + compute %s + runtime %s",
		e.Context, e.KVType, Bytes(e.Total), Bytes(e.Weights), Bytes(e.KVCache), Bytes(e.Compute), Bytes(e.Runtime))
}

// Bytes formats a byte count for people.
func Bytes(b int64) string {
	v := float64(b)
	switch {
	case v >= 1<<30:
		return fmt.Sprintf("%.2f GiB", v/(1<<30))
	case v >= 1<<20:
		return fmt.Sprintf("%.1f MiB", v/(1<<20))
	case v >= 1<<10:
		return fmt.Sprintf("%.1f KiB", v/(1<<10))
	}
	return fmt.Sprintf("%d B", b)
}
