//go:build !amd64 || purego

package kernels

// siluMul8 sets gate[i] = gate[i]/(1+vexpf(0-gate[i])) * up[i];
// len(gate) must be a multiple of 8 and up as long.
func siluMul8(gate, up []float32) { siluMul8Generic(gate, up) }

// softMaxTile sets x[i] = vexpf(x[i] - m) and returns their sum as
// softMaxTileGeneric does; len(x) must be a multiple of 8.
func softMaxTile(x []float32, m float32) float64 { return softMaxTileGeneric(x, m) }

// MaxNonNaN returns the largest of init (not a NaN) and the elements of x
// that are not NaNs.
func MaxNonNaN(x []float32, init float32) float32 { return maxNonNaNGeneric(x, init) }
