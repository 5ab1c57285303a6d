// Package model holds what every architecture shares: the registry that
// builds a model from a GGUF file by its general.architecture, the batch a
// forward pass takes, and the KV cache.
package model

import (
	"fmt"
	"sort"
	"sync"

	"github.com/hearthlm/hearth/gguf"
	"github.com/hearthlm/hearth/kernels"
)

// Batch is a set of tokens to run through the model in one forward pass.
// Entry i is token Tokens[i] at position Pos[i] of sequence Seq[i]; logits
// are computed for the entries with Logits[i] set. Prefill, decode and many
// concurrent sequences all use this one shape.
type Batch struct {
	Tokens []int32
	Pos    []int32
	Seq    []int32
	Logits []bool
}

// Add appends one entry.
func (b *Batch) Add(tok int32, pos int, seq int, logits bool) {
	b.Tokens = append(b.Tokens, tok)
	b.Pos = append(b.Pos, int32(pos))
	b.Seq = append(b.Seq, int32(seq))
	b.Logits = append(b.Logits, logits)
}

// Reset empties the batch, keeping its memory.
func (b *Batch) Reset() {
	b.Tokens, b.Pos, b.Seq, b.Logits = b.Tokens[:0], b.Pos[:0], b.Seq[:0], b.Logits[:0]
}

// Len is the number of entries.
func (b *Batch) Len() int { return len(b.Tokens) }

// Info describes a loaded model.
type Info struct {
	Arch          string
	Name          string
	ContextLength int // trained context
	Embedding     int
	Layers        int
	Heads         int
	KVHeads       int
	HeadDim       int
	FFN           int
	Vocab         int
	Params        int64 // number of weights
	WeightBytes   int64 // bytes of tensor data
	FileType      string
}

// Options are the run-time choices a model is built with.
type Options struct {
	Threads int    // 0: all cores
	KVType  KVType // the type of the caches NewCache makes; "": f16
}

// KVType is the element type of a KV cache.
type KVType string

// The KV cache types: llama.cpp's default f16, and q8_0 (blocks of 32
// values sharing an f16 scale, 34 bytes), which needs head sizes that are
// multiples of 32.
const (
	KVF16  KVType = "f16"
	KVQ8_0 KVType = "q8_0"
)

// ParseKVType reads a KV type name ("f16" or "q8_0"; "" is f16).
func ParseKVType(s string) (KVType, error) {
	switch KVType(s) {
	case "", KVF16:
		return KVF16, nil
	case KVQ8_0:
		return KVQ8_0, nil
	}
	return "", fmt.Errorf("model: KV cache type %q is not supported (f16 or q8_0)", s)
}

// Model is one loaded architecture.
type Model interface {
	Info() Info
	// NewCache allocates a KV cache for seqs sequences of ctx positions,
	// of the model's KV type.
	NewCache(ctx, seqs int) (*Cache, error)
	// SetKVType sets the type of the caches NewCache makes from now on.
	SetKVType(t KVType) error
	// Forward runs the batch, writing its keys and values into the cache,
	// and returns the logits of the entries with Logits set, in order
	// (vocab floats each). The returned slice is reused by the next call.
	Forward(c *Cache, b *Batch) ([]float32, error)
	// Close releases the model's threads (not the file).
	Close()
}

// Builder makes a model from an open GGUF file.
type Builder func(f *gguf.File, opts Options) (Model, error)

var (
	mu       sync.Mutex
	builders = map[string]Builder{}
)

// Register makes an architecture available under its general.architecture name.
func Register(arch string, b Builder) {
	mu.Lock()
	defer mu.Unlock()
	builders[arch] = b
}

// Architectures lists the registered architecture names.
func Architectures() []string {
	mu.Lock()
	defer mu.Unlock()
	var names []string
	for n := range builders {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// New builds the model the file describes.
func New(f *gguf.File, opts Options) (Model, error) {
	arch, ok := f.Metadata.String("general.architecture")
	if !ok {
		return nil, fmt.Errorf("model: the file has no general.architecture key")
	}
	mu.Lock()
	b := builders[arch]
	mu.Unlock()
	if b == nil {
		return nil, fmt.Errorf("model: architecture %q is not supported (supported: %v)", arch, Architectures())
	}
	return b(f, opts)
}

// Cache is a KV cache. In float16 (Type KVF16, K and V): for each layer,
// each sequence owns Ctx consecutive cells of KVDim keys and KVDim values,
// indexed by position. In q8_0 (Type KVQ8_0, K8 and V8): for each layer,
// each sequence and each KV head owns Ctx consecutive q8_0 rows of HeadDim
// values, so that the keys one head attends over are contiguous rows.
//
// As llama.cpp does for a quantized cache (its attn_rot_k, attn_rot_v),
// a q8_0 cache holds rotated keys and values when the head size is a
// multiple of 64: keys (and the queries that meet them) are rotated by the
// Walsh-Hadamard matrix in blocks of KRot values (the largest power of two
// dividing the head size), values in blocks of VRot = 64, and the
// attention output is rotated back by the same blocks of 64
// (kernels.FWHTBlocks). KRot and VRot are 0 when there is no rotation.
type Cache struct {
	Type    KVType
	Layers  int
	Ctx     int
	Seqs    int
	KVDim   int
	HeadDim int
	K, V    [][]uint16 // f16: [layer][((seq*KVDim/HeadDim + head)*Ctx + pos)*HeadDim + i]
	K8, V8  [][]byte   // q8_0: [layer][((seq*KVDim/HeadDim + head)*Ctx + pos)*Q8RowBytes(HeadDim) + byte]
	KRot    int
	VRot    int
}

// NewCache allocates an f16 cache.
func NewCache(layers, ctx, seqs, kvDim int) (*Cache, error) {
	return NewCacheOf(KVF16, layers, ctx, seqs, kvDim, kvDim)
}

// NewCacheOf allocates a cache of type t for KV heads of headDim values
// (kvDim in all).
func NewCacheOf(t KVType, layers, ctx, seqs, kvDim, headDim int) (*Cache, error) {
	if ctx <= 0 || seqs <= 0 {
		return nil, fmt.Errorf("model: cache of %d positions × %d sequences", ctx, seqs)
	}
	if headDim <= 0 || kvDim%headDim != 0 {
		return nil, fmt.Errorf("model: KV width %d is not a whole number of heads of %d", kvDim, headDim)
	}
	c := &Cache{Type: t, Layers: layers, Ctx: ctx, Seqs: seqs, KVDim: kvDim, HeadDim: headDim}
	n := ctx * seqs * kvDim
	switch t {
	case KVF16, "":
		c.Type = KVF16
		c.K, c.V = make([][]uint16, layers), make([][]uint16, layers)
		for l := range layers {
			c.K[l] = make([]uint16, n)
			c.V[l] = make([]uint16, n)
		}
	case KVQ8_0:
		if headDim%32 != 0 {
			return nil, fmt.Errorf("model: a q8_0 KV cache needs a head size that is a multiple of 32, not %d", headDim)
		}
		nb := n / 32 * 34
		if headDim%64 == 0 {
			c.KRot, c.VRot = headDim&-headDim, 64
		}
		c.K8, c.V8 = make([][]byte, layers), make([][]byte, layers)
		for l := range layers {
			c.K8[l] = make([]byte, nb)
			c.V8[l] = make([]byte, nb)
		}
	default:
		return nil, fmt.Errorf("model: KV cache type %q is not supported (f16 or q8_0)", t)
	}
	return c, nil
}

// Bytes is the memory the cache holds.
func (c *Cache) Bytes() int64 {
	n := int64(c.Layers) * int64(c.Ctx*c.Seqs*c.KVDim) * 2
	if c.Type == KVQ8_0 {
		return n / 32 * 34
	}
	return n * 2
}

// Check validates a batch against the cache bounds.
func (c *Cache) Check(b *Batch, vocab int) error {
	if len(b.Pos) != len(b.Tokens) || len(b.Seq) != len(b.Tokens) || len(b.Logits) != len(b.Tokens) {
		return fmt.Errorf("model: batch fields have different lengths")
	}
	for i, t := range b.Tokens {
		if t < 0 || int(t) >= vocab {
			return fmt.Errorf("model: token %d at batch entry %d is outside the vocabulary of %d", t, i, vocab)
		}
		if b.Pos[i] < 0 || int(b.Pos[i]) >= c.Ctx {
			return fmt.Errorf("model: position %d is outside the context of %d tokens", b.Pos[i], c.Ctx)
		}
		if b.Seq[i] < 0 || int(b.Seq[i]) >= c.Seqs {
			return fmt.Errorf("model: sequence %d is outside the cache's %d sequences", b.Seq[i], c.Seqs)
		}
	}
	return nil
}

// Matrix returns a 2-D weight tensor as a kernels.Matrix view.
func Matrix(f *gguf.File, name string) (*kernels.Matrix, error) {
	t, ok := f.Tensor(name)
	if !ok {
		return nil, fmt.Errorf("model: tensor %q is missing", name)
	}
	if len(t.Shape) != 2 {
		return nil, fmt.Errorf("model: tensor %q has shape %v, want 2 dimensions", name, t.Shape)
	}
	return kernels.NewMatrix(name, t.Type, int(t.Shape[1]), int(t.Shape[0]), f.Data(t))
}

// Vector returns a 1-D tensor dequantized to float32 (norm weights and the like).
func Vector(f *gguf.File, name string, n int) ([]float32, error) {
	t, ok := f.Tensor(name)
	if !ok {
		return nil, fmt.Errorf("model: tensor %q is missing", name)
	}
	if len(t.Shape) != 1 || int(t.Shape[0]) != n {
		return nil, fmt.Errorf("model: tensor %q has shape %v, want [%d]", name, t.Shape, n)
	}
	m, err := kernels.NewMatrix(name, t.Type, 1, n, f.Data(t))
	if err != nil {
		return nil, err
	}
	out := make([]float32, n)
	if err := m.DequantizeRow(0, out); err != nil {
		return nil, fmt.Errorf("model: tensor %q: %w", name, err)
	}
	return out, nil
}
