//go:build amd64 && !purego

package kernels

import "unsafe"

//go:noescape
func toF16AVX2(dst *uint16, src *float32, n int)

//go:noescape
func roundF16AVX2(dst, src *float32, n int)

//go:noescape
func fromF16ScaleAVX2(dst *float32, src *uint16, n int, s float32)

// toF16Fast converts the longest prefix of src it can (a multiple of 8
// elements) as ToF16 does and returns its length.
func toF16Fast(dst []uint16, src []float32) int {
	n := len(src) &^ 7
	if !useAVX2 || n == 0 {
		return 0
	}
	toF16AVX2(unsafe.SliceData(dst[:n]), unsafe.SliceData(src), n)
	return n
}

// roundF16Fast is toF16Fast for RoundF16.
func roundF16Fast(dst, src []float32) int {
	n := len(src) &^ 7
	if !useAVX2 || n == 0 {
		return 0
	}
	roundF16AVX2(unsafe.SliceData(dst[:n]), unsafe.SliceData(src), n)
	return n
}

// fromF16ScaleFast is toF16Fast for FromF16Scale.
func fromF16ScaleFast(dst []float32, src []uint16, s float32) int {
	n := len(src) &^ 7
	if !useAVX2 || n == 0 {
		return 0
	}
	fromF16ScaleAVX2(unsafe.SliceData(dst[:n]), unsafe.SliceData(src), n, s)
	return n
}
