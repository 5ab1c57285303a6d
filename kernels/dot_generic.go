//go:build (!amd64 && !arm64) || purego

package kernels

import "github.com/hearthlm/hearth/gguf"

func fastKernel(t gguf.Type) (k rowKernel, elems, wBytes, xBytes int) { return nil, 0, 0, 0 }

// DotRowsFastN reports false, as DotRowsFast.
func DotRowsFastN(t gguf.Type, n int, w []byte, rows int, x []byte, xStride, ntok int, out []float32, outStride int) bool {
	return false
}

var useMultiToken = true
