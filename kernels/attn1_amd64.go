//go:build amd64 && !purego

package kernels

import "unsafe"

//go:noescape
func dotF16CellsAVX2(k *uint16, stride int, q *float32, d, n int, out *float32)

//go:noescape
func madF16CellsAVX2(acc, v *uint16, stride, d, n int, ms, vs *float32)

// dotF16Cells sets out[j] = DotF16(k[j*stride:j*stride+len(q)], q) for
// j < len(out) in one call and reports whether it did (len(q) a multiple
// of 32, on AVX2).
func dotF16Cells(out []float32, k []uint16, stride int, q []float32) bool {
	d, n := len(q), len(out)
	if !useAVX2 || d == 0 || d%32 != 0 || n == 0 {
		return false
	}
	_ = k[(n-1)*stride+d-1]
	dotF16CellsAVX2(unsafe.SliceData(k), 2*stride, unsafe.SliceData(q), d, n, unsafe.SliceData(out))
	return true
}

// madF16Cells does, for j < len(ms), ScaleF16(acc, ms[j]) when ms[j] != 1
// and then MadF16(acc, v[j*stride:], vs[j]), in one call, and reports
// whether it did (len(acc) a multiple of 8, on AVX2).
func madF16Cells(acc, v []uint16, stride int, ms, vs []float32) bool {
	d, n := len(acc), len(ms)
	if !useAVX2 || d == 0 || d%8 != 0 || n == 0 {
		return false
	}
	_, _ = v[(n-1)*stride+d-1], vs[n-1]
	madF16CellsAVX2(unsafe.SliceData(acc), unsafe.SliceData(v), 2*stride, d, n, unsafe.SliceData(ms), unsafe.SliceData(vs))
	return true
}
