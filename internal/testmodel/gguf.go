// Package testmodel writes random-weight models of real architectures and
// shapes, as GGUF files and as Hugging Face checkpoints, so that tests and
// benchmarks never need a download. Weights are random at a moderate scale
// (each matrix has standard deviation 1/sqrt(input size)), so outputs are
// finite and next-token distributions are broad rather than peaked.
package testmodel

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/hearthlm/hearth/convert"
	"github.com/hearthlm/hearth/gguf"
	"github.com/hearthlm/hearth/quant"
)

// Spec is the shape of a model.
type Spec struct {
	Name    string
	Arch    string // GGUF architecture: "llama", "qwen2", "qwen3"
	Embd    int
	Layers  int
	Heads   int
	KVHeads int
	HeadDim int
	FFN     int
	Vocab   int
	Ctx     int
	Tied    bool // output head shares the token embeddings

	QKNorm    bool // per-head RMSNorm of queries and keys (qwen3)
	QKVBias   bool // biases on the q, k, v projections (qwen2)
	RopeBase  float32
	Eps       float32
	RopeFreqs bool // Llama 3.x long-context rope factors (rope_freqs.weight)

	// Gemma 3: sliding-window attention on all but every SWAPattern-th
	// layer, with rope base RopeLocalBase there.
	SlidingWindow int
	SWAPattern    int
	RopeLocalBase float32

	// Gemma 2: soft caps of attention scores and final logits.
	AttnSoftcap, FinalSoftcap float32

	// Phi-3 long-context rope ("longrope"): per-frequency divisors for
	// contexts up to OrigCtx (short) and beyond it (long), Ctx being the
	// extended context (max_position_embeddings).
	LongRope bool
	OrigCtx  int

	// Tokenizer names a folder of ../shared/testdata/hf/tokenizers
	// ("qwen3", "llama3"); without the shared corpus a small byte-level
	// vocabulary stands in.
	Tokenizer string
}

// Real shapes.
var (
	Qwen3_0_6B = Spec{
		Name: "Qwen3-0.6B (random)", Arch: "qwen3", Embd: 1024, Layers: 28, Heads: 16, KVHeads: 8, HeadDim: 128,
		FFN: 3072, Vocab: 151936, Ctx: 40960, Tied: true, QKNorm: true, RopeBase: 1e6, Eps: 1e-6, Tokenizer: "qwen3",
	}
	Llama32_1B = Spec{
		Name: "Llama-3.2-1B (random)", Arch: "llama", Embd: 2048, Layers: 16, Heads: 32, KVHeads: 8, HeadDim: 64,
		FFN: 8192, Vocab: 128256, Ctx: 131072, Tied: true, RopeBase: 500000, Eps: 1e-5, RopeFreqs: true, Tokenizer: "llama3",
	}
	Qwen2_5_0_5B = Spec{
		Name: "Qwen2.5-0.5B (random)", Arch: "qwen2", Embd: 896, Layers: 24, Heads: 14, KVHeads: 2, HeadDim: 64,
		FFN: 4864, Vocab: 151936, Ctx: 32768, Tied: true, QKVBias: true, RopeBase: 1e6, Eps: 1e-6, Tokenizer: "qwen3",
	}
)

// Tensor is one weight of a spec in GGUF naming and ggml shape order.
type Tensor struct {
	Name  string
	Shape []uint64
}

// Tensors lists the GGUF tensors of the spec, in llama.cpp's file order.
func (s Spec) Tensors() []Tensor {
	u := func(v ...int) []uint64 {
		out := make([]uint64, len(v))
		for i, x := range v {
			out[i] = uint64(x)
		}
		return out
	}
	qd, kvd := s.Heads*s.HeadDim, s.KVHeads*s.HeadDim
	ts := []Tensor{{"token_embd.weight", u(s.Embd, s.Vocab)}}
	if s.RopeFreqs {
		ts = append(ts, Tensor{"rope_freqs.weight", u(s.HeadDim / 2)})
	}
	for i := range s.Layers {
		n := func(x string) string { return fmt.Sprintf("blk.%d.%s", i, x) }
		ts = append(ts, Tensor{n("attn_norm.weight"), u(s.Embd)})
		ts = append(ts, Tensor{n("attn_q.weight"), u(s.Embd, qd)})
		if s.QKVBias {
			ts = append(ts, Tensor{n("attn_q.bias"), u(qd)})
		}
		ts = append(ts, Tensor{n("attn_k.weight"), u(s.Embd, kvd)})
		if s.QKVBias {
			ts = append(ts, Tensor{n("attn_k.bias"), u(kvd)})
		}
		ts = append(ts, Tensor{n("attn_v.weight"), u(s.Embd, kvd)})
		if s.QKVBias {
			ts = append(ts, Tensor{n("attn_v.bias"), u(kvd)})
		}
		ts = append(ts, Tensor{n("attn_output.weight"), u(qd, s.Embd)})
		if s.QKNorm {
			ts = append(ts, Tensor{n("attn_q_norm.weight"), u(s.HeadDim)}, Tensor{n("attn_k_norm.weight"), u(s.HeadDim)})
		}
		ts = append(ts, Tensor{n("ffn_norm.weight"), u(s.Embd)})
		ts = append(ts, Tensor{n("ffn_gate.weight"), u(s.Embd, s.FFN)})
		ts = append(ts, Tensor{n("ffn_up.weight"), u(s.Embd, s.FFN)})
		ts = append(ts, Tensor{n("ffn_down.weight"), u(s.FFN, s.Embd)})
	}
	ts = append(ts, Tensor{"output_norm.weight", u(s.Embd)})
	if !s.Tied {
		ts = append(ts, Tensor{"output.weight", u(s.Embd, s.Vocab)})
	}
	return ts
}

// Metadata is the GGUF metadata of the spec (without the tokenizer).
func (s Spec) Metadata(ft convert.FileType) gguf.Metadata {
	a := s.Arch
	u32 := func(k string, v int) gguf.KV {
		return gguf.KV{Key: a + "." + k, Value: gguf.Value{Type: gguf.Uint32, V: uint32(v)}}
	}
	f32 := func(k string, v float32) gguf.KV {
		return gguf.KV{Key: a + "." + k, Value: gguf.Value{Type: gguf.Float32, V: v}}
	}
	md := gguf.Metadata{
		{Key: "general.architecture", Value: gguf.Value{Type: gguf.String, V: a}},
		{Key: "general.name", Value: gguf.Value{Type: gguf.String, V: s.Name}},
		u32("context_length", s.Ctx), u32("embedding_length", s.Embd), u32("block_count", s.Layers),
		u32("feed_forward_length", s.FFN), u32("attention.head_count", s.Heads), u32("attention.head_count_kv", s.KVHeads),
		u32("rope.dimension_count", s.HeadDim), f32("rope.freq_base", s.RopeBase),
		f32("attention.layer_norm_rms_epsilon", s.Eps),
		u32("attention.key_length", s.HeadDim), u32("attention.value_length", s.HeadDim),
		{Key: "general.file_type", Value: gguf.Value{Type: gguf.Uint32, V: uint32(ft)}},
		{Key: "general.quantization_version", Value: gguf.Value{Type: gguf.Uint32, V: uint32(2)}},
	}
	if a == "llama" {
		md = append(md, u32("vocab_size", s.Vocab))
	}
	return md
}

// SharedTokenizer returns the path of the spec's tokenizer.json in the
// shared corpus beside this checkout, or "" if it is not there.
func SharedTokenizer(name string) string {
	if name == "" {
		return ""
	}
	_, file, _, _ := runtime.Caller(0)
	p := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "testdata", "hf", "tokenizers", name, "tokenizer.json")
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

// VocabMetadata is the tokenizer metadata of the spec: its real tokenizer
// when the shared corpus is there, else a byte-level stand-in.
func (s Spec) VocabMetadata() (gguf.Metadata, error) {
	if p := SharedTokenizer(s.Tokenizer); p != "" {
		return convert.VocabFromDir(filepath.Dir(p), s.Vocab)
	}
	return byteVocab(s.Vocab), nil
}

// byteVocab is a GPT-2 byte-level vocabulary of the 256 bytes, a few
// merges, an end-of-text token, and unused padding up to n tokens.
func byteVocab(n int) gguf.Metadata {
	tokens := make([]string, 0, n)
	types := make([]int32, 0, n)
	for b := range 256 {
		tokens = append(tokens, byteChar(byte(b)))
		types = append(types, 1)
	}
	var merges []string
	for _, p := range [][2]string{{"Ġ", "t"}, {"h", "e"}, {"Ġt", "he"}, {"i", "n"}, {"Ġ", "a"}} {
		merges = append(merges, p[0]+" "+p[1])
		tokens = append(tokens, p[0]+p[1])
		types = append(types, 1)
	}
	eos := len(tokens)
	tokens = append(tokens, "<|endoftext|>")
	types = append(types, 3)
	for i := len(tokens); i < n; i++ {
		tokens = append(tokens, fmt.Sprintf("[PAD%d]", i))
		types = append(types, 5)
	}
	return gguf.Metadata{
		{Key: "tokenizer.ggml.model", Value: gguf.Value{Type: gguf.String, V: "gpt2"}},
		{Key: "tokenizer.ggml.pre", Value: gguf.Value{Type: gguf.String, V: "qwen2"}},
		{Key: "tokenizer.ggml.tokens", Value: gguf.Value{Type: gguf.ArrayType, V: gguf.NewArray(gguf.String, tokens[:n])}},
		{Key: "tokenizer.ggml.token_type", Value: gguf.Value{Type: gguf.ArrayType, V: gguf.NewArray(gguf.Int32, types[:n])}},
		{Key: "tokenizer.ggml.merges", Value: gguf.Value{Type: gguf.ArrayType, V: gguf.NewArray(gguf.String, merges)}},
		{Key: "tokenizer.ggml.eos_token_id", Value: gguf.Value{Type: gguf.Uint32, V: uint32(min(eos, n-1))}},
	}
}

// byteChar is GPT-2's printable stand-in for a byte.
func byteChar(b byte) string {
	if (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE) {
		return string(rune(b))
	}
	// The other 68 bytes map to 256.. in byte order.
	k := 0
	for c := 0; c < int(b); c++ {
		cb := byte(c)
		if !((cb >= '!' && cb <= '~') || (cb >= 0xA1 && cb <= 0xAC) || cb >= 0xAE) {
			k++
		}
	}
	return string(rune(256 + k))
}

// WriteGGUF writes a random-weight model of the spec whose matrices all
// have type typ (norms, biases and rope factors stay F32).
func WriteGGUF(path string, spec Spec, typ gguf.Type, seed int64) error {
	ft, ok := convert.FileTypeOf(typ)
	if !ok {
		ft = spec.mixFor(typ)
	}
	return write(path, spec, ft, func(string, int, int) gguf.Type { return typ }, seed)
}

func (s Spec) mixFor(t gguf.Type) convert.FileType {
	switch t {
	case gguf.TypeQ2_K:
		return convert.FileQ2_K
	case gguf.TypeQ3_K:
		return convert.FileQ3_K_M
	case gguf.TypeQ4_K:
		return convert.FileQ4_K_M
	case gguf.TypeQ5_K:
		return convert.FileQ5_K_M
	}
	return convert.FileAllF32
}

// WriteGGUFMix writes a random-weight model of the spec with the tensor
// types llama-quantize would give it for the file type ft ("Q4_K_M").
func WriteGGUFMix(path string, spec Spec, ft convert.FileType, seed int64) error {
	var names []string
	for _, t := range spec.Tensors() {
		names = append(names, t.Name)
	}
	mixer := convert.NewMixer(ft, false, spec.Heads/spec.KVHeads, names)
	return write(path, spec, ft, func(name string, dims, rowLen int) gguf.Type {
		return mixer.Type(name, dims, rowLen, gguf.TypeF16)
	}, seed)
}

func write(path string, spec Spec, ft convert.FileType, typeOf func(name string, dims, rowLen int) gguf.Type, seed int64) error {
	if spec.Arch == "gemma3" || spec.Arch == "gemma2" || spec.Arch == "phi3" {
		return fmt.Errorf("testmodel: GGUF layout of %s is not written directly; write the HF checkpoint and convert it", spec.Arch)
	}
	md := spec.Metadata(ft)
	vocab, err := spec.VocabMetadata()
	if err != nil {
		return err
	}
	md = append(md, vocab...)
	ts := spec.Tensors()
	out := make([]convert.OutTensor, len(ts))
	for i, t := range ts {
		typ := gguf.TypeF32
		if len(t.Shape) >= 2 {
			typ = typeOf(t.Name, len(t.Shape), int(t.Shape[0]))
		}
		out[i] = convert.OutTensor{Name: t.Name, Shape: t.Shape, Type: typ}
	}
	return convert.WriteStream(path, md, out, func(i int, dst []byte) error {
		return spec.fill(out[i], uint64(seed), uint64(i), dst)
	})
}

// fill writes random data for one tensor, in parallel over row chunks,
// each chunk with its own generator so the result does not depend on the
// number of threads.
func (s Spec) fill(t convert.OutTensor, seed, index uint64, dst []byte) error {
	cols := int(t.Shape[0])
	rows := len(dst) / max(1, rowBytes(t.Type, cols))
	if len(t.Shape) == 1 {
		r := rand.New(rand.NewPCG(seed, index<<32))
		v := make([]float32, cols)
		switch {
		case t.Name == "rope_freqs.weight":
			copy(v, llama3RopeFactors(s.HeadDim, s.RopeBase))
		case filepath.Ext(t.Name) == ".bias":
			for j := range v {
				v[j] = float32(r.NormFloat64() * 0.5)
			}
		default: // norms: around one
			for j := range v {
				v[j] = float32(1 + r.NormFloat64()*0.1)
			}
		}
		return quant.QuantizeRow(gguf.TypeF32, v, dst)
	}
	sigma := 1 / math.Sqrt(float64(cols))
	rb := rowBytes(t.Type, cols)
	const chunk = 64
	nChunks := (rows + chunk - 1) / chunk
	var wg sync.WaitGroup
	var next sync.Mutex
	c := 0
	var firstErr error
	for range runtime.NumCPU() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v := make([]float32, cols)
			for {
				next.Lock()
				k := c
				c++
				next.Unlock()
				if k >= nChunks {
					return
				}
				r := rand.New(rand.NewPCG(seed, index<<32|uint64(k)))
				for row := k * chunk; row < min(rows, (k+1)*chunk); row++ {
					if err := randomRow(r, t.Type, v, sigma, dst[row*rb:(row+1)*rb]); err != nil {
						next.Lock()
						firstErr = fmt.Errorf("testmodel: %s: %w", t.Name, err)
						next.Unlock()
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	return firstErr
}

func rowBytes(t gguf.Type, n int) int {
	rb, _ := t.RowSize(n)
	return rb
}

// randomRow writes one row of random values of standard deviation about
// sigma: float types are rounded from Gaussian samples; block types get
// random quants with scales chosen for that spread.
func randomRow(r *rand.Rand, t gguf.Type, v []float32, sigma float64, dst []byte) error {
	switch t {
	case gguf.TypeF32, gguf.TypeF16, gguf.TypeBF16:
		for j := range v {
			v[j] = float32(r.NormFloat64() * sigma)
		}
		return quant.QuantizeRow(t, v, dst)
	}
	bs := t.TypeSize()
	h := func(b []byte, f float64) { binary.LittleEndian.PutUint16(b, quant.FP32ToFP16(float32(f))) }
	fillRand(r, dst)
	for b := 0; b < len(dst)/bs; b++ {
		blk := dst[b*bs : (b+1)*bs]
		jit := 0.75 + 0.5*r.Float64()
		switch t {
		case gguf.TypeQ4_0, gguf.TypeIQ4_NL:
			h(blk, sigma/4.6*jit)
		case gguf.TypeQ4_1:
			h(blk, sigma/4.6*jit)
			h(blk[2:], -sigma/4.6*7.5*jit)
		case gguf.TypeQ5_0:
			h(blk, sigma/9.2*jit)
		case gguf.TypeQ5_1:
			h(blk, sigma/9.2*jit)
			h(blk[2:], -sigma/9.2*15.5*jit)
		case gguf.TypeQ8_0:
			h(blk, sigma/73*jit)
		case gguf.TypeQ2_K: // scales[16] qs[64] d dmin
			h(blk[80:], sigma/(7.5*1.1)*jit)
			h(blk[82:], sigma/(7.5*1.1)*1.5/7.5*jit)
		case gguf.TypeQ3_K: // hmask[32] qs[64] scales[12] d
			h(blk[108:], sigma/(18*2.3)*jit)
		case gguf.TypeQ4_K: // d dmin scales[12] qs[128]
			h(blk, sigma/(32*4.6)*jit)
			h(blk[2:], sigma/(32*4.6)*7.5*jit)
		case gguf.TypeQ5_K: // d dmin scales[12] qh[32] qs[128]
			h(blk, sigma/(32*9.2)*jit)
			h(blk[2:], sigma/(32*9.2)*15.5*jit)
		case gguf.TypeQ6_K: // ql[128] qh[64] scales[16] d
			for j := 192; j < 208; j++ {
				blk[j] = byte(int8(r.IntN(65) - 32))
			}
			h(blk[208:], sigma/(18*18)*jit)
		default:
			return fmt.Errorf("no random blocks for type %s", t)
		}
	}
	return nil
}

func fillRand(r *rand.Rand, b []byte) {
	for len(b) >= 8 {
		binary.LittleEndian.PutUint64(b, r.Uint64())
		b = b[8:]
	}
	for i := range b {
		b[i] = byte(r.Uint32())
	}
}

// llama3RopeFactors are Llama 3.2's rope factors (factor 32, frequency
// factors 1 and 4, original context 8192).
func llama3RopeFactors(headDim int, base float32) []float32 {
	return convert.Llama3RopeFactors(headDim, float64(base), 32, 1, 4, 8192)
}

// Small shapes of the same architectures, for goldens: a few MB at most.
var (
	TinyQwen3 = Spec{
		Name: "tiny qwen3 (random)", Arch: "qwen3", Embd: 256, Layers: 2, Heads: 4, KVHeads: 2, HeadDim: 128,
		FFN: 512, Vocab: 1024, Ctx: 4096, Tied: true, QKNorm: true, RopeBase: 1e6, Eps: 1e-6, Tokenizer: "",
	}
	TinyLlama = Spec{
		Name: "tiny llama (random)", Arch: "llama", Embd: 256, Layers: 2, Heads: 4, KVHeads: 2, HeadDim: 64,
		FFN: 512, Vocab: 1024, Ctx: 4096, RopeBase: 500000, Eps: 1e-5, RopeFreqs: true,
	}
	TinyQwen2 = Spec{
		Name: "tiny qwen2 (random)", Arch: "qwen2", Embd: 256, Layers: 2, Heads: 4, KVHeads: 2, HeadDim: 64,
		FFN: 512, Vocab: 1024, Ctx: 4096, Tied: true, QKVBias: true, RopeBase: 1e6, Eps: 1e-6,
	}
)

// Specs names every spec of the package.
var Specs = map[string]Spec{
	"qwen3-0.6b": Qwen3_0_6B, "llama3.2-1b": Llama32_1B, "qwen2.5-0.5b": Qwen2_5_0_5B,
	"tiny-qwen3": TinyQwen3, "tiny-llama": TinyLlama, "tiny-qwen2": TinyQwen2, "tiny-gemma3": TinyGemma3, "tiny-phi3": TinyPhi3, "tiny-gemma2": TinyGemma2,
}

// TinyGemma3 is a small Gemma 3 text model; 7 layers so that both the
// sliding-window layers and a global one (the 6th) are exercised, with a
// window shorter than the golden sequences.
var TinyGemma3 = Spec{
	Name: "tiny gemma3 (random)", Arch: "gemma3", Embd: 256, Layers: 7, Heads: 4, KVHeads: 1, HeadDim: 256,
	FFN: 512, Vocab: 1024, Ctx: 32768, Tied: true, QKNorm: true, RopeBase: 1e6, Eps: 1e-6,
	SlidingWindow: 6, SWAPattern: 6, RopeLocalBase: 10000,
}

// Narrow models of the real depths (28 and 16 layers), for checks of which
// tensor gets which type in a mix, where only the layout matters.
var (
	NarrowQwen3 = func() Spec {
		s := TinyQwen3
		s.Name, s.Layers = "narrow qwen3 (random)", 28
		return s
	}()
	NarrowLlama = func() Spec {
		s := TinyLlama
		s.Name, s.Layers, s.Heads, s.KVHeads, s.HeadDim, s.Tied = "narrow llama (random)", 16, 8, 2, 32, true
		return s
	}()
)

func init() {
	Specs["narrow-qwen3"] = NarrowQwen3
	Specs["narrow-llama"] = NarrowLlama
	Specs["tiny-phi3-longrope"] = TinyPhi3Longrope
}

// TinyPhi3 is a small Phi-3 (fused q/k/v and gate/up projections, an
// untied output head).
var TinyPhi3 = Spec{
	Name: "tiny phi3 (random)", Arch: "phi3", Embd: 256, Layers: 2, Heads: 4, KVHeads: 4, HeadDim: 64,
	FFN: 512, Vocab: 1024, Ctx: 4096, RopeBase: 10000, Eps: 1e-5, SlidingWindow: 2047,
}

// TinyPhi3Longrope is TinyPhi3 with Phi-3-mini-128k's long-context rope:
// a context extended from 4096 to 131072 positions (attention factor
// sqrt(1 + ln 32 / ln 4096)) and factors that LongRopeFactors makes.
var TinyPhi3Longrope = func() Spec {
	s := TinyPhi3
	s.Name, s.Ctx, s.OrigCtx, s.LongRope = "tiny phi3 longrope (random)", 131072, 4096, true
	return s
}()

// LongRopeFactors are the spec's short and long rope factors, one per
// rotated pair: short ones rising from 1 to 2.5 and long ones from 1 to
// 41, with the same shape as Phi-3's (high-frequency pairs kept, the low
// frequencies slowed most).
func (s Spec) LongRopeFactors() (short, long []float64) {
	n := s.HeadDim / 2
	short, long = make([]float64, n), make([]float64, n)
	for i := range n {
		x := float64(i) / float64(n-1)
		short[i] = 1 + 1.5*x*x
		long[i] = 1 + 40*x*x*x
	}
	return short, long
}

// TinyGemma2 is a small Gemma 2: alternating sliding-window and global
// layers, with soft caps small enough to change the results.
var TinyGemma2 = Spec{
	Name: "tiny gemma2 (random)", Arch: "gemma2", Embd: 256, Layers: 3, Heads: 4, KVHeads: 2, HeadDim: 64,
	FFN: 512, Vocab: 1024, Ctx: 8192, Tied: true, RopeBase: 10000, Eps: 1e-6,
	SlidingWindow: 6, AttnSoftcap: 2, FinalSoftcap: 3,
}
