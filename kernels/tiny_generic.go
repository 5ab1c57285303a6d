//go:build (!amd64 && !arm64) || purego

package kernels

import "github.com/hearthlm/hearth/gguf"

// TinyDotRowsFast reports false: there is no assembly for this build, and
// callers use quant.TinyDotRows.
func TinyDotRowsFast(t gguf.Type, n int, w []byte, rows int, x []byte, out []float32) bool {
	return false
}

func tinyAsm() bool { return false }
