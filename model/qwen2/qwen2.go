// Package qwen2 is the Qwen2 / Qwen2.5 architecture as llama.cpp runs it
// ("qwen2" in GGUF): the llama block with biases on the query, key and
// value projections and NEOX-style rotary embeddings.
package qwen2

import (
	"github.com/hearthlm/hearth/gguf"
	"github.com/hearthlm/hearth/model"
)

func init() { model.Register("qwen2", New) }

// New builds a Qwen2 model over the file's tensors (no weights are copied).
func New(f *gguf.File, opts model.Options) (model.Model, error) {
	p, err := model.ReadHyper(f, "qwen2")
	if err != nil {
		return nil, err
	}
	p.Eps = model.FloatKey(f.Metadata, "qwen2.attention.layer_norm_rms_epsilon", 1e-6)
	return model.NewDecoder(f, p, model.DecoderOptions{QKVBias: true, Neox: true}, opts)
}
