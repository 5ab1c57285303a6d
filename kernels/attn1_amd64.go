//go:build amd64 && !purego

package kernels

import "unsafe"

//go:noescape
func dotF16CellsGAVX2(k *uint16, stride int, q *float32, d, n, nh int, out *float32, ostride int)

//go:noescape
func madF16CellsGAVX2(acc, v *uint16, stride, d, n, nh int, ms, vs *float32, mstride int)

// dotF16CellsG sets out[h*ostride+j] = DotF16(k[j*stride:j*stride+d],
// q[h*d:(h+1)*d]) for the g query heads h in q that share the key rows and
// cells j < n, in one call, and reports whether it did (d a multiple of 32,
// on AVX2).
func dotF16CellsG(out []float32, ostride, n int, k []uint16, stride int, q []float32, g, d int) bool {
	if !useAVX2 || d == 0 || d%32 != 0 || n == 0 || g == 0 {
		return false
	}
	_, _, _ = k[(n-1)*stride+d-1], q[g*d-1], out[(g-1)*ostride+n-1]
	dotF16CellsGAVX2(unsafe.SliceData(k), 2*stride, unsafe.SliceData(q), d, n, g, unsafe.SliceData(out), 4*ostride)
	return true
}

// madF16CellsG does, for cells j < n and the g heads h whose accumulators
// acc holds (d each) and which share the value rows: ScaleF16 of head h's
// accumulator by ms[h*mstride+j] when that is not 1, then MadF16 with
// v[j*stride:] and vs[h*mstride+j]; in one call, and it reports whether it
// did (d a multiple of 8, on AVX2).
func madF16CellsG(acc []uint16, d int, v []uint16, stride int, ms, vs []float32, mstride, n, g int) bool {
	if !useAVX2 || d == 0 || d%8 != 0 || n == 0 || g == 0 {
		return false
	}
	_, _, _, _ = acc[g*d-1], v[(n-1)*stride+d-1], ms[(g-1)*mstride+n-1], vs[(g-1)*mstride+n-1]
	madF16CellsGAVX2(unsafe.SliceData(acc), unsafe.SliceData(v), 2*stride, d, n, g, unsafe.SliceData(ms), unsafe.SliceData(vs), 4*mstride)
	return true
}
