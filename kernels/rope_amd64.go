//go:build amd64 && !purego

package kernels

import "unsafe"

//go:noescape
func ropeNeoxAVX2(x *float32, cache *float32, h, k int)

//go:noescape
func ropeNormAVX2(x *float32, cache *float32, n int)

// ropeNeoxFast rotates the first pairs of RopeNeox it can (a multiple of
// 8) and returns their number.
func ropeNeoxFast(x, cache []float32, h int) int {
	k := h &^ 7
	if !useAVX2 || k == 0 {
		return 0
	}
	_, _ = x[h+k-1], cache[2*k-1]
	ropeNeoxAVX2(unsafe.SliceData(x), unsafe.SliceData(cache), h, k)
	return k
}

// ropeNormFast rotates the first elements of RopeNorm it can (a multiple
// of 8) and returns their number.
func ropeNormFast(x, cache []float32, n int) int {
	k := n &^ 7
	if !useAVX2 || k == 0 {
		return 0
	}
	_, _ = x[k-1], cache[k-1]
	ropeNormAVX2(unsafe.SliceData(x), unsafe.SliceData(cache), k)
	return k
}
