// Package llama is the llama architecture as llama.cpp runs it: Llama 1/2/3,
// TinyLlama, Mistral (without a sliding window) and SmolLM. RMSNorm, rotary
// position embeddings (GPT-J style pairs, scaled per frequency by the
// rope_freqs tensor where Llama 3's rope scaling wrote one, or linearly),
// grouped-query attention over a KV cache, SwiGLU: the shared
// model.Decoder with no biases, no per-head norms and non-NEOX rope.
// model.Trace sees the forward pass's intermediates under the names of
// llama.cpp's llama graph ("attn_norm-0", "Qcur-0", "kqv_out-1",
// "result_output", ...; see model.Decoder.Forward).
package llama

import (
	"github.com/hearthlm/hearth/gguf"
	"github.com/hearthlm/hearth/model"
)

func init() { model.Register("llama", New) }

// ReadParams reads the llama hyperparameters under the given architecture
// prefix: llama.cpp's llama keys and defaults (RMSNorm eps 1e-5, rope base
// 10000, linear rope scaling from rope.scale_linear or
// rope.scaling.type/factor). A sliding window and logit soft caps, which
// llama.cpp's llama graph ignores, are dropped.
func ReadParams(f *gguf.File, arch string) (model.Hyper, error) {
	p, err := model.ReadHyper(f, arch)
	p.SlidingWindow, p.AttnSoftcap, p.FinalSoftcap = 0, 0, 0
	return p, err
}

// New builds a llama model over the file's tensors (no weights are copied):
// token_embd, output_norm, output (or the tied embeddings), the optional
// rope_freqs, and per block attn_norm, attn_q/k/v/output, ffn_norm and
// ffn_gate/up/down.
func New(f *gguf.File, opts model.Options) (model.Model, error) {
	arch, _ := f.Metadata.String("general.architecture")
	p, err := ReadParams(f, arch)
	if err != nil {
		return nil, err
	}
	return model.NewDecoder(f, p, model.DecoderOptions{}, opts)
}
