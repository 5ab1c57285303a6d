package quant

import (
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/hearthlm/hearth/gguf"
)

// The scale searches have three forms that must agree bit for bit: the
// direct transcription of ggml's make_qkx2_quants / make_qx_quants below
// (kept here as the statement of what is computed), the scalar searches of
// quantize_ref.go with their shortcuts, and the lane kernels of
// quantize_lanes.go (assembly on amd64 with AVX2, and their Go twins).
// llama.cpp's own output is the golden of quantize_ref_test.go and
// ../convert's quantize tests; these tests reach the corners those files do
// not: ties, repeated values, flat groups, zeros of both signs, extreme
// magnitudes.

// makeQKX2Direct is make_qkx2_quants statement for statement.
func makeQKX2Direct(nmax int, x, weights []float32, L []uint8, rmin, rdelta float32, nstep int, useMAD bool) (float32, float32) {
	n := len(x)
	lo, hi := x[0], x[0]
	sumW := weights[0]
	sumX := float32(sumW * x[0])
	for i := 1; i < n; i++ {
		if x[i] < lo {
			lo = x[i]
		}
		if x[i] > hi {
			hi = x[i]
		}
		w := weights[i]
		sumW += w
		sumX += float32(w * x[i])
	}
	if lo > 0 {
		lo = 0
	}
	if hi == lo {
		for i := range n {
			L[i] = 0
		}
		return 0, -lo
	}
	errOf := func(d float32) float32 {
		if useMAD {
			return absf(d)
		}
		return float32(d * d)
	}
	iscale := float32(nmax) / (hi - lo)
	scale := 1 / iscale
	var bestErr float32
	for i := range n {
		l := nearestInt(float32(iscale * float32(x[i]-lo)))
		L[i] = uint8(max(0, min(nmax, l)))
		diff := float32(float32(scale*float32(L[i]))+lo) - x[i]
		bestErr += float32(weights[i] * errOf(diff))
	}
	if nstep < 1 {
		return scale, -lo
	}
	var laux [32]uint8
	for is := 0; is <= nstep; is++ {
		iscale = (float32(rmin+float32(rdelta*float32(is))) + float32(nmax)) / (hi - lo)
		var sumL, sumL2, sumXL float32
		for i := range n {
			l := max(0, min(nmax, nearestInt(float32(iscale*float32(x[i]-lo)))))
			laux[i] = uint8(l)
			w := weights[i]
			sumL += float32(w * float32(l))
			sumL2 += float32(float32(w*float32(l)) * float32(l))
			sumXL += float32(float32(w*float32(l)) * x[i])
		}
		D := float32(sumW*sumL2) - float32(sumL*sumL)
		if D > 0 {
			thisScale := (float32(sumW*sumXL) - float32(sumX*sumL)) / D
			thisMin := (float32(sumL2*sumX) - float32(sumL*sumXL)) / D
			if thisMin > 0 {
				thisMin = 0
				thisScale = sumXL / sumL2
			}
			var curErr float32
			for i := range n {
				diff := float32(float32(thisScale*float32(laux[i]))+thisMin) - x[i]
				curErr += float32(weights[i] * errOf(diff))
			}
			if curErr < bestErr {
				copy(L[:n], laux[:n])
				bestErr = curErr
				scale = thisScale
				lo = thisMin
			}
		}
	}
	return scale, -lo
}

// makeQXDirect is make_qx_quants with rmse_type 1 and no importance
// weights, statement for statement.
func makeQXDirect(nmax int, x []float32, L []int8) float32 {
	n := len(x)
	var maxv, amax float32
	for i := range n {
		if ax := absf(x[i]); ax > amax {
			amax, maxv = ax, x[i]
		}
	}
	if amax < groupMaxEps {
		for i := range n {
			L[i] = 0
		}
		return 0
	}
	iscale := -float32(nmax) / maxv
	var sumlx, suml2 float32
	for i := range n {
		l := max(-nmax, min(nmax-1, nearestInt(float32(iscale*x[i]))))
		L[i] = int8(l + nmax)
		w := float32(x[i] * x[i])
		sumlx += float32(float32(w*x[i]) * float32(l))
		suml2 += float32(float32(w*float32(l)) * float32(l))
	}
	scale := float32(0)
	if suml2 != 0 {
		scale = sumlx / suml2
	}
	best := float32(scale * sumlx)
	for is := -9; is <= 9; is++ {
		if is == 0 {
			continue
		}
		iscale = -(float32(nmax) + float32(0.1*float32(is))) / maxv
		sumlx, suml2 = 0, 0
		for i := range n {
			l := max(-nmax, min(nmax-1, nearestInt(float32(iscale*x[i]))))
			w := float32(x[i] * x[i])
			sumlx += float32(float32(w*x[i]) * float32(l))
			suml2 += float32(float32(w*float32(l)) * float32(l))
		}
		if suml2 > 0 && float32(sumlx*sumlx) > float32(best*suml2) {
			for i := range n {
				L[i] = int8(nmax + max(-nmax, min(nmax-1, nearestInt(float32(iscale*x[i])))))
			}
			scale = sumlx / suml2
			best = float32(scale * sumlx)
		}
	}
	return scale
}

// groupGen draws a group of n values of one of several kinds.
func groupGen(r *rand.Rand, x []float32, kind int) {
	n := len(x)
	switch kind {
	case 0: // Gaussian, a weight matrix's spread
		for i := range x {
			x[i] = float32(r.NormFloat64() / 32)
		}
	case 1: // uniform, one sign or both
		lo, hi := -1.0, 1.0
		switch r.IntN(3) {
		case 0:
			lo = 0.001
		case 1:
			hi = -0.001
		}
		for i := range x {
			x[i] = float32(lo + (hi-lo)*r.Float64())
		}
	case 2: // on a grid d·k + m: many exact ties between candidates
		d := float32(r.IntN(8)+1) / 16
		m := -float32(r.IntN(16)) / 16
		for i := range x {
			x[i] = d*float32(r.IntN(32)) + m
		}
	case 3: // small integers and halves: ties in nearest_int
		for i := range x {
			x[i] = float32(r.IntN(17)-8) / 2
		}
	case 4: // flat, or flat with one value apart
		v := float32(r.NormFloat64())
		for i := range x {
			x[i] = v
		}
		if r.IntN(2) == 0 {
			x[r.IntN(n)] = float32(r.NormFloat64() * 100)
		}
	case 5: // extreme magnitudes: tiny, subnormal, huge
		s := []float64{1e-30, 1e-40, 1e-44, 1e20, 3e37}[r.IntN(5)]
		for i := range x {
			x[i] = float32(r.NormFloat64() * s)
		}
	case 6: // mostly zeros of both signs, the rest of one sign or both
		sign := []float64{1, -1, 0}[r.IntN(3)]
		for i := range x {
			x[i] = float32(math.Copysign(0, float64(r.IntN(2)*2-1)))
			if r.IntN(4) == 0 {
				v := r.NormFloat64()
				if sign != 0 {
					v = sign * math.Abs(v)
				}
				x[i] = float32(v)
			}
		}
	default: // mixed magnitudes
		for i := range x {
			x[i] = float32(r.NormFloat64() * math.Pow(10, float64(r.IntN(9)-6)))
		}
	}
}

func sameF32(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) }

// TestQKX2Paths: make_qkx2_quants as Q2_K, Q4_K and Q5_K call it, by the
// direct transcription, the scalar search and the lane kernel (eight groups
// at a time, one of each kind of group per call).
func TestQKX2Paths(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	cfgs := []struct {
		name         string
		n, nmax      int
		rmin, rdelta float32
		nstep        int
		mad          bool
	}{{"Q2_K", 16, 3, -0.5, 0.1, 15, true}, {"Q4_K", 32, 15, -1, 0.1, 20, false}, {"Q5_K", 32, 31, -0.5, 0.1, 15, false}}
	iters := 5000
	if testing.Short() {
		iters = 500
	}
	var g qkx2Groups
	for _, c := range cfgs {
		nums := qkx2Nums(c.nmax, c.rmin, c.rdelta, c.nstep)
		copy(g.nums[:], nums)
		var x, w [8][]float32
		var want [8][]uint8
		var ws, wm [8]float32
		got := make([]uint8, c.n)
		bad := 0
		for it := 0; it < iters && bad < 5; it++ {
			for j := range 8 {
				x[j], w[j], want[j] = make([]float32, c.n), make([]float32, c.n), make([]uint8, c.n)
				kind := (it + j) % 8
				groupGen(r, x[j], kind)
				// Weights as the callers make them (|x|, or rms + |x|), or random.
				var s2 float32
				for _, v := range x[j] {
					s2 += float32(v * v)
				}
				av := float32(math.Sqrt(float64(s2 / float32(c.n))))
				for i, v := range x[j] {
					switch {
					case (it+j)%3 == 2:
						w[j][i] = float32(r.Float64())
					case c.mad:
						w[j][i] = absf(v)
					default:
						w[j][i] = av + absf(v)
					}
				}
				ws[j], wm[j] = makeQKX2Direct(c.nmax, x[j], w[j], want[j], c.rmin, c.rdelta, c.nstep, c.mad)
				for i := range got {
					got[i] = 0xee
				}
				gs, gm := makeQKX2(c.nmax, x[j], w[j], got, nums, c.mad)
				if !sameF32(gs, ws[j]) || !sameF32(gm, wm[j]) || string(got) != string(want[j]) {
					t.Errorf("%s scalar, kind %d x=%v w=%v:\n got scale %g min %g L %v\nwant scale %g min %g L %v",
						c.name, kind, x[j], w[j], gs, gm, got, ws[j], wm[j], want[j])
					bad++
				}
				for i := range c.n {
					g.x[i][j], g.w[i][j] = x[j][i], w[j][i]
				}
			}
			if !useLanes {
				continue
			}
			qkx2Lanes(&g, c.n, c.nmax, c.nstep, 0, c.mad)
			for j := range 8 {
				for i := range got {
					got[i] = uint8(g.l[i][j])
				}
				if !sameF32(g.scale[j], ws[j]) || !sameF32(g.min[j], wm[j]) || string(got) != string(want[j]) {
					t.Errorf("%s lanes, lane %d x=%v w=%v:\n got scale %g min %g L %v\nwant scale %g min %g L %v",
						c.name, j, x[j], w[j], g.scale[j], g.min[j], got, ws[j], wm[j], want[j])
					bad++
				}
			}
		}
	}
}

// TestQXPaths: make_qx_quants as Q6_K calls it, by the direct
// transcription, the scalar search and the lane kernel.
func TestQXPaths(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	iters := 12000
	if testing.Short() {
		iters = 1200
	}
	var g qxGroups
	var x [8][16]float32
	var want [8][16]int8
	var ws [8]float32
	got := make([]int8, 16)
	bad := 0
	for it := 0; it < iters && bad < 5; it++ {
		for j := range 8 {
			kind := (it + j) % 8
			groupGen(r, x[j][:], kind)
			ws[j] = makeQXDirect(32, x[j][:], want[j][:])
			for i := range got {
				got[i] = 99
			}
			gs := makeQX(32, x[j][:], got)
			if !sameF32(gs, ws[j]) || string(toBytes(got)) != string(toBytes(want[j][:])) {
				t.Errorf("scalar, kind %d x=%v:\n got scale %g L %v\nwant scale %g L %v", kind, x[j], gs, got, ws[j], want[j])
				bad++
			}
			for i := range 16 {
				g.x[i][j] = x[j][i]
			}
		}
		if !useLanes {
			continue
		}
		// qxMany fills the numerators; run it on the eight groups in
		// order, then compare each lane.
		var flat [128]float32
		for j := range 8 {
			copy(flat[16*j:], x[j][:])
		}
		var L [128]int8
		var scales [8]float32
		qxMany(&g, 32, flat[:], 16, L[:], scales[:])
		for j := range 8 {
			if !sameF32(scales[j], ws[j]) || string(toBytes(L[16*j:16*j+16])) != string(toBytes(want[j][:])) {
				t.Errorf("lanes, lane %d x=%v:\n got scale %g L %v\nwant scale %g L %v", j, x[j], scales[j], L[16*j:16*j+16], ws[j], want[j])
				bad++
			}
		}
	}
}

func toBytes(v []int8) []byte {
	b := make([]byte, len(v))
	for i, x := range v {
		b[i] = byte(x)
	}
	return b
}

// TestLaneLayout: the offsets the assembly kernels use are the structs'.
func TestLaneLayout(t *testing.T) {
	var g qkx2Groups
	var q qxGroups
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"x", unsafe.Offsetof(g.x), 0}, {"w", unsafe.Offsetof(g.w), 1024}, {"f", unsafe.Offsetof(g.f), 2048},
		{"l", unsafe.Offsetof(g.l), 3072}, {"nums", unsafe.Offsetof(g.nums), 4096}, {"scale", unsafe.Offsetof(g.scale), 4224},
		{"min", unsafe.Offsetof(g.min), 4256}, {"lo", unsafe.Offsetof(g.lo), 4288}, {"hi", unsafe.Offsetof(g.hi), 4320},
		{"sumW", unsafe.Offsetof(g.sumW), 4352}, {"sumX", unsafe.Offsetof(g.sumX), 4384}, {"best", unsafe.Offsetof(g.best), 4416},
		{"winIscale", unsafe.Offsetof(g.winIscale), 4448}, {"winLo", unsafe.Offsetof(g.winLo), 4480}, {"flat", unsafe.Offsetof(g.flat), 4512},
		{"qx.x", unsafe.Offsetof(q.x), 0}, {"qx.l", unsafe.Offsetof(q.l), 512}, {"qx.nums", unsafe.Offsetof(q.nums), 1024},
		{"qx.scale", unsafe.Offsetof(q.scale), 1120}, {"qx.best", unsafe.Offsetof(q.best), 1152},
		{"qx.bestIscale", unsafe.Offsetof(q.bestIscale), 1184}, {"qx.maxv", unsafe.Offsetof(q.maxv), 1216}, {"qx.zero", unsafe.Offsetof(q.zero), 1248},
	} {
		if c.got != c.want {
			t.Errorf("%s at %d, the kernels use %d", c.name, c.got, c.want)
		}
	}
}

// TestKQuantLanesRows: whole rows of every K-quant type quantize to the
// same bytes with the lane kernels and with the scalar searches.
func TestKQuantLanesRows(t *testing.T) {
	if !useLanes {
		t.Skip("no lane kernels on this machine")
	}
	saved := useLanes
	defer func() { useLanes = saved }()
	r := rand.New(rand.NewPCG(7, 8))
	const cols = 1024
	src := make([]float32, 64*cols)
	for row := 0; row < 64; row++ {
		for g := 0; g < cols/16; g++ {
			groupGen(r, src[row*cols+16*g:row*cols+16*g+16], (row+g)%8)
		}
	}
	for _, typ := range []gguf.Type{gguf.TypeQ2_K, gguf.TypeQ4_K, gguf.TypeQ5_K, gguf.TypeQ6_K} {
		rb := RowBytes(typ, cols)
		a, b := make([]byte, 64*rb), make([]byte, 64*rb)
		for _, c := range []struct {
			lanes bool
			dst   []byte
		}{{true, a}, {false, b}} {
			useLanes = c.lanes
			for row := 0; row < 64; row++ {
				if err := QuantizeRowRef(typ, src[row*cols:(row+1)*cols], c.dst[row*rb:(row+1)*rb]); err != nil {
					t.Fatal(err)
				}
			}
		}
		useLanes = saved
		if string(a) != string(b) {
			t.Errorf("%s: the lane kernels and the scalar searches quantize differently", typ)
		}
	}
}

// TestQKX2Weights: the weights the lane kernel makes (|x|, and
// sqrtf(Σx²/n) + |x|) are rmsWeights' and absf's, and the search on them
// is the scalar search on them.
func TestQKX2Weights(t *testing.T) {
	if !useLanes {
		t.Skip("no lane kernels on this machine")
	}
	r := rand.New(rand.NewPCG(9, 10))
	var g qkx2Groups
	for it := 0; it < 2000; it++ {
		wmode, n, nmax, nums, mad := weightsRMS, 32, 15, q4KNums, false
		if it%2 == 1 {
			wmode, n, nmax, nums, mad = weightsAbs, 16, 3, q2KNums, true
		}
		copy(g.nums[:], nums)
		var x [8][32]float32
		for j := range 8 {
			groupGen(r, x[j][:n], (it+j)%8)
			for i := range n {
				g.x[i][j] = x[j][i]
			}
		}
		qkx2Lanes(&g, n, nmax, len(nums)-1, wmode, mad)
		for j := range 8 {
			var w [32]float32
			if wmode == weightsRMS {
				rmsWeights(x[j][:n], w[:n])
			} else {
				for i, v := range x[j][:n] {
					w[i] = absf(v)
				}
			}
			var L [32]uint8
			s, m := makeQKX2(nmax, x[j][:n], w[:n], L[:n], nums, mad)
			for i := range n {
				if !sameF32(g.w[i][j], w[i]) || uint8(g.l[i][j]) != L[i] {
					t.Fatalf("mode %d lane %d x=%v: weight %d %g (want %g), level %d (want %d)", wmode, j, x[j][:n], i, g.w[i][j], w[i], g.l[i][j], L[i])
				}
			}
			if !sameF32(g.scale[j], s) || !sameF32(g.min[j], m) {
				t.Fatalf("mode %d lane %d x=%v: scale %g min %g, want %g %g", wmode, j, x[j][:n], g.scale[j], g.min[j], s, m)
			}
		}
	}
}

// TestRoundf: roundf rounds halves away from zero, as math.Round, on ties,
// their neighbours and random values.
func TestRoundf(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	check := func(p float32) {
		if got, want := roundf(p), int32(math.Round(float64(p))); got != want {
			t.Fatalf("roundf(%v) = %d, want %d", p, got, want)
		}
	}
	for k := -300; k <= 300; k++ {
		tie := float32(k) + 0.5
		check(tie)
		check(math.Nextafter32(tie, float32(math.Inf(1))))
		check(math.Nextafter32(tie, float32(math.Inf(-1))))
		check(float32(k))
	}
	for range 1_000_000 {
		check(float32(r.NormFloat64() * 100))
		check(float32(r.Float64()*2-1) * 1e6)
	}
	check(0.49999997)
	check(-0.49999997)
	check(8388607.5)
	check(-8388607.5)
}

// TestLaneKernelsTwin: the assembly lane kernels and their Go twins
// (qkx2LanesGeneric, qxLanesGeneric) give the same scales, mins, levels and
// weights, bit for bit.
func TestLaneKernelsTwin(t *testing.T) {
	if !useLanes {
		t.Skip("no lane kernels on this machine")
	}
	r := rand.New(rand.NewPCG(13, 14))
	cfgs := []struct {
		n, nmax, wmode int
		nums           []float32
		mad            bool
	}{{16, 3, weightsAbs, q2KNums, true}, {32, 15, weightsRMS, q4KNums, false}, {32, 31, weightsRMS, q5KNums, false},
		{32, 15, 0, q4KNums, false}, {16, 3, 0, q2KNums, true}}
	for it := 0; it < 3000; it++ {
		c := cfgs[it%len(cfgs)]
		var a qkx2Groups
		copy(a.nums[:], c.nums)
		for j := range 8 {
			var x [32]float32
			groupGen(r, x[:c.n], (it+j)%8)
			for i := range c.n {
				a.x[i][j], a.w[i][j] = x[i], float32(r.Float64())
			}
		}
		b := a
		qkx2Lanes(&a, c.n, c.nmax, len(c.nums)-1, c.wmode, c.mad)
		qkx2LanesGeneric(&b, c.n, c.nmax, len(c.nums)-1, c.wmode, c.mad)
		for j := range 8 {
			ok := sameF32(a.scale[j], b.scale[j]) && sameF32(a.min[j], b.min[j])
			for i := range c.n {
				ok = ok && a.l[i][j] == b.l[i][j] && sameF32(a.w[i][j], b.w[i][j])
			}
			if !ok {
				t.Fatalf("qkx2 n %d nmax %d wmode %d lane %d: asm scale %g min %g, go %g %g", c.n, c.nmax, c.wmode, j, a.scale[j], a.min[j], b.scale[j], b.min[j])
			}
		}

		var qa qxGroups
		for j := range 8 {
			var x [16]float32
			groupGen(r, x[:], (it+j)%8)
			for i := range 16 {
				qa.x[i][j] = x[i]
			}
		}
		var flat [128]float32
		for j := range 8 {
			for i := range 16 {
				flat[16*j+i] = qa.x[i][j]
			}
		}
		var L [128]int8
		var scales [8]float32
		qxMany(&qa, 32, flat[:], 16, L[:], scales[:]) // fills nums, runs the assembly
		qb := qa
		qxLanesGeneric(&qb, 16, 32)
		for j := range 8 {
			ok := sameF32(qa.scale[j], qb.scale[j])
			for i := range 16 {
				ok = ok && qa.l[i][j] == qb.l[i][j]
			}
			if !ok {
				t.Fatalf("qx lane %d: asm scale %g, go %g", j, qa.scale[j], qb.scale[j])
			}
		}
	}
}
