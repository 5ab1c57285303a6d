package quant

import "github.com/hearthlm/hearth/gguf"

// RowBytes returns the bytes taken by n elements of type t, or -1 if t is
// unknown or n is negative or not a multiple of t's block size.
func RowBytes(t gguf.Type, n int) int {
	bs := t.BlockSize()
	if bs == 0 || n < 0 || n%bs != 0 {
		return -1
	}
	return n / bs * t.TypeSize()
}
