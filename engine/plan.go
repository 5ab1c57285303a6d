package engine

import (
	"runtime"

	"github.com/hearthlm/hearth/gguf"
	"github.com/hearthlm/hearth/model"
	"github.com/hearthlm/hearth/plan"
	"github.com/hearthlm/hearth/quant"
)

// modelFacts gathers what the memory planner needs from a loaded file.
func modelFacts(f *gguf.File, info model.Info) plan.ModelFacts {
	fa := plan.ModelFacts{
		FileBytes: int64(len(f.Bytes())),
		Layers:    info.Layers, Embedding: info.Embedding, Heads: info.Heads, KVHeads: info.KVHeads,
		HeadDim: info.HeadDim, FFN: info.FFN, Vocab: info.Vocab, ContextLength: info.ContextLength,
	}
	// The widest activation conversion: the largest bytes per element of
	// the dot-product types the weight matrices pair with.
	fa.ActivationBytesPerElem = 0
	for _, t := range f.Tensors {
		if len(t.Shape) != 2 {
			continue
		}
		vt := quant.VecDotType(t.Type)
		n := vt.BlockSize()
		if n == 0 {
			continue
		}
		if b := float64(vt.TypeSize()) / float64(n); b > fa.ActivationBytesPerElem {
			fa.ActivationBytesPerElem = b
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fa.TokenizerBytes = int64(ms.HeapInuse)
	return fa
}

// PeakRSS returns the process's peak resident memory in bytes (Linux;
// 0 elsewhere).
func PeakRSS() int64 { return peakRSS() }
