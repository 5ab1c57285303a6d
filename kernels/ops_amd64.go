//go:build amd64 && !purego

package kernels

import "unsafe"

//go:noescape
func siluMulAVX2(gate, up *float32, n int)

//go:noescape
func softMaxTileAVX2(x *float32, n int, m float32) float64

// siluMul8 sets gate[i] = gate[i]/(1+vexpf(0-gate[i])) * up[i], equal to
// siluMul8Generic; len(gate) must be a multiple of 8 and up as long.
func siluMul8(gate, up []float32) {
	up = up[:len(gate)]
	if !useAVX2 {
		siluMul8Generic(gate, up)
		return
	}
	n := len(gate) &^ 7
	if n > 0 {
		siluMulAVX2(unsafe.SliceData(gate), unsafe.SliceData(up), n)
	}
	siluMul8Generic(gate[n:], up[n:])
}

// softMaxTile sets x[i] = vexpf(x[i] - m) and returns their sum as
// softMaxTileGeneric does; len(x) must be a multiple of 8.
func softMaxTile(x []float32, m float32) float64 {
	if !useAVX2 || len(x) < 8 {
		return softMaxTileGeneric(x, m)
	}
	return softMaxTileAVX2(unsafe.SliceData(x), len(x)&^7, m)
}

//go:noescape
func maxNonNaNAVX(x *float32, n int, init float32) float32

// MaxNonNaN returns the largest of init (not a NaN) and the elements of x
// that are not NaNs, as maxNonNaNGeneric does.
func MaxNonNaN(x []float32, init float32) float32 {
	if !useAVX2 {
		return maxNonNaNGeneric(x, init)
	}
	n := len(x) &^ 31
	m := init
	if n > 0 {
		m = maxNonNaNAVX(unsafe.SliceData(x), n, init)
	}
	return maxNonNaNGeneric(x[n:], m)
}
