// Package qwen3 is the Qwen3 dense architecture as llama.cpp runs it
// ("qwen3" in GGUF): the llama block with an RMSNorm over each query and
// key head before NEOX-style rotary embeddings, and no biases.
package qwen3

import (
	"github.com/hearthlm/hearth/gguf"
	"github.com/hearthlm/hearth/model"
)

func init() { model.Register("qwen3", New) }

// New builds a Qwen3 model over the file's tensors (no weights are copied).
func New(f *gguf.File, opts model.Options) (model.Model, error) {
	p, err := model.ReadHyper(f, "qwen3")
	if err != nil {
		return nil, err
	}
	p.Eps = model.FloatKey(f.Metadata, "qwen3.attention.layer_norm_rms_epsilon", 1e-6)
	return model.NewDecoder(f, p, model.DecoderOptions{QKNorm: true, Neox: true}, opts)
}
