//go:build !amd64 || purego

package kernels

func toF16Fast(dst []uint16, src []float32) int                   { return 0 }
func roundF16Fast(dst, src []float32) int                         { return 0 }
func fromF16ScaleFast(dst []float32, src []uint16, s float32) int { return 0 }

func ropeNeoxFast(x, cache []float32, h int) int { return 0 }
func ropeNormFast(x, cache []float32, n int) int { return 0 }

func dotF16CellsG(out []float32, ostride, n int, k []uint16, stride int, q []float32, g, d int) bool {
	return false
}

func madF16CellsG(acc []uint16, d int, v []uint16, stride int, ms, vs []float32, mstride, n, g int) bool {
	return false
}
