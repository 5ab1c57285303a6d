//go:build !amd64 || purego

package kernels

import "github.com/hearthlm/hearth/gguf"

// padQ8K reports false: no kernel here takes padded activations.
func padQ8K(t gguf.Type) bool { return false }

func dotRows8Padded(t gguf.Type, n int, w []byte, rows int, xp []byte, xpStride, ntok int, out []float32, outStride int) {
	panic("kernels: dotRows8Padded without a kernel for padded activations")
}
