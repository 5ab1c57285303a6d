package kernels

import (
	"github.com/hearthlm/hearth/gguf"
	"github.com/hearthlm/hearth/quant"
)

// rowBytes is quant.RowBytes(t, n) without its table lookups for the
// types whose products run per chunk of a decode step (a lookup there is a
// map access, several per chunk).
func rowBytes(t gguf.Type, n int) int {
	var elems, size int
	switch t {
	case gguf.TypeQ4_0:
		elems, size = 32, 18
	case gguf.TypeQ8_0:
		elems, size = 32, 34
	case gguf.TypeQ4_K:
		elems, size = 256, 144
	case gguf.TypeQ6_K:
		elems, size = 256, 210
	case gguf.TypeQ8_K:
		elems, size = 256, 292
	default:
		return quant.RowBytes(t, n)
	}
	if n < 0 || n%elems != 0 {
		return -1
	}
	return n / elems * size
}
