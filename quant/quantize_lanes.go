package quant

import "math"

// The K-quant weight quantizers search per group of 16 or 32 values for a
// scale: make_qkx2_quants (Q2_K, Q4_K, Q5_K) tries up to 21 candidate
// scales, each a pass over the group with float32 sums in element order,
// and a win changes the min the next candidates start from;
// make_qx_quants (Q6_K) tries 19. The groups of a super-block are
// independent, so the lane kernels give each of eight groups a lane of a
// vector register and run the scalar algorithm in every lane at once, each
// lane doing its group's float32 operations in their order (no FMA, as in
// ggml-base's baseline x86-64 build), with the per-group choices made by
// masks. The results are the scalar loops' bit for bit; on amd64 with AVX2
// the kernels are assembly (quantize_amd64.s), elsewhere the scalar loops
// run. Tests compare the two on each group.

// qkx2Groups is one call of the make_qkx2_quants lane kernel: eight groups
// of n <= 32 values and weights, element-major (x[i][j] is value i of group
// j), the candidate numerators rmin + rdelta·is + nmax for is = 0..nstep,
// and out the scale, the min (as make_qkx2_quants returns it, -min) and the
// levels of each group.
type qkx2Groups struct {
	x, w       [32][8]float32
	f          [32][8]float32 // scratch: levels as floats
	l          [32][8]int32
	nums       [32]float32
	scale, min [8]float32
	// lane state: min, max, Σw, Σw·x, best error, inverse scale and min of
	// the best levels, flat group (max == min)
	lo, hi, sumW, sumX, best, winIscale, winLo, flat [8]float32
}

// The weights of make_qkx2_quants' errors, which the lane kernel computes
// from the values: |x| (Q2_K), or sqrt(Σx²/n) + |x| (Q4_K, Q5_K).
const (
	weightsAbs = 1
	weightsRMS = 2
)

// qkx2Many runs make_qkx2_quants on the len(scales) groups of n values in
// x with the candidates of nums (see qkx2Nums) and the weights wmode
// makes, eight groups at a time on the lane kernel, writing the levels of
// group j to L[n·j:] and its scale and -min to scales[j] and mins[j].
func qkx2Many(g *qkx2Groups, nmax int, x []float32, n int, L []uint8, scales, mins []float32, nums []float32, wmode int, mad bool) {
	copy(g.nums[:], nums)
	for j0 := 0; j0 < len(scales); j0 += 8 {
		for j := range 8 {
			xs := x[n*(j0+j) : n*(j0+j+1)]
			for i := range xs {
				g.x[i][j] = xs[i]
			}
		}
		qkx2Lanes(g, n, nmax, len(nums)-1, wmode, mad)
		copy(scales[j0:j0+8], g.scale[:])
		copy(mins[j0:j0+8], g.min[:])
		for j := range 8 {
			ls := L[n*(j0+j) : n*(j0+j+1)]
			for i := range ls {
				ls[i] = uint8(g.l[i][j])
			}
		}
	}
}

// qxGroups is one call of the make_qx_quants lane kernel: eight groups of
// n <= 16 values, element-major, the numerators -nmax and -(nmax + 0.1·is)
// for is = -9..9 but 0 of the inverse scales, and out each group's scale
// and levels (plus nmax).
type qxGroups struct {
	x     [16][8]float32
	l     [16][8]int32
	nums  [24]float32
	scale [8]float32
	// lane state: best of scale·Σw·x·l, its inverse scale, the value of
	// largest magnitude, all-zero group
	best, bestIscale, maxv, zero [8]float32

	numsFor int32 // nmax that nums were made for
}

// qkx2LanesGeneric is the make_qkx2_quants lane kernel in Go: the
// weights, then the scalar search on each lane's group.
func qkx2LanesGeneric(g *qkx2Groups, n, nmax, nstep, wmode int, mad bool) {
	var xs, ws [32]float32
	var ls [32]uint8
	for j := range 8 {
		for i := range n {
			xs[i] = g.x[i][j]
		}
		switch wmode {
		case weightsAbs:
			for i, v := range xs[:n] {
				ws[i] = absf(v)
			}
		case weightsRMS:
			rmsWeights(xs[:n], ws[:n])
		default:
			for i := range n {
				ws[i] = g.w[i][j]
			}
		}
		for i := range n {
			g.w[i][j] = ws[i]
		}
		g.scale[j], g.min[j] = makeQKX2(nmax, xs[:n], ws[:n], ls[:n], g.nums[:nstep+1], mad)
		for i := range n {
			g.l[i][j] = int32(ls[i])
		}
	}
}

// rmsWeights are the weights of Q4_K's and Q5_K's errors:
// sqrtf(Σx²/n) + |x|, the sum in element order.
func rmsWeights(x, w []float32) {
	var sumX2 float32
	for _, v := range x {
		sumX2 += float32(v * v)
	}
	avX := float32(math.Sqrt(float64(sumX2 / float32(len(x)))))
	for i, v := range x {
		w[i] = avX + absf(v)
	}
}

// qxLanesGeneric is the make_qx_quants lane kernel in Go: the scalar
// search on each lane's group.
func qxLanesGeneric(g *qxGroups, n, nmax int) {
	var xs [16]float32
	var ls [16]int8
	for j := range 8 {
		for i := range n {
			xs[i] = g.x[i][j]
		}
		g.scale[j] = makeQX(nmax, xs[:n], ls[:n])
		for i := range n {
			g.l[i][j] = int32(ls[i])
		}
	}
}

// qxMany runs make_qx_quants on the len(scales) groups of n values in x,
// eight at a time on the lane kernel, writing group j's levels to L[n·j:]
// and its scale to scales[j].
func qxMany(g *qxGroups, nmax int, x []float32, n int, L []int8, scales []float32) {
	if g.numsFor != int32(nmax) {
		fnmax := float32(nmax)
		g.nums[0] = -fnmax
		c := 1
		for is := -9; is <= 9; is++ {
			if is != 0 {
				g.nums[c] = -(fnmax + float32(0.1*float32(is)))
				c++
			}
		}
		g.numsFor = int32(nmax)
	}
	for j0 := 0; j0 < len(scales); j0 += 8 {
		for j := range 8 {
			xs := x[n*(j0+j) : n*(j0+j+1)]
			for i := range xs {
				g.x[i][j] = xs[i]
			}
		}
		qxLanes(g, n, nmax)
		copy(scales[j0:j0+8], g.scale[:])
		for j := range 8 {
			ls := L[n*(j0+j) : n*(j0+j+1)]
			for i := range ls {
				ls[i] = int8(g.l[i][j])
			}
		}
	}
}
