package kernels

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// expEdges are inputs around every branch of vexpf: zeros, ±inf, the
// |n| > 126 and > 192 thresholds (x near ±87.3 and ±133), denormal and
// overflow results, and tiny magnitudes.
func expEdges() []float32 {
	e := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		1, -1, 0.5, -0.5, 1e-30, -1e-30, 1e-45, -1e-45, 88, -88, 88.72, 88.73, -87.33, -87.34,
		-100, -103.97, -104, -110, 100, 120, 133, -133, 140, -140, 200, -200, 1e10, -1e10,
		math.MaxFloat32, -math.MaxFloat32, 0x1.5p-126, -0x1.5p-126}
	for x := float32(80); x < 140; x += 0.37 {
		e = append(e, x, -x)
	}
	for i := range 200 {
		// Values whose n = round(x*log2e) sits at 126, 127, 192, 193.
		for _, k := range []float32{126, 127, 192, 193} {
			x := (k + float32(i)/200 - 0.5) / 1.442695
			e = append(e, x, -x)
		}
	}
	return e
}

func bitsEqual(a, b []float32) bool {
	return slices.EqualFunc(a, b, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) })
}

// TestSiLUMulMatchesGeneric compares siluMul8 (AVX2 where present) with
// siluMul8Generic and SiLUMul with the element-wise reference, on random
// and edge inputs, lengths 0..100 and with guards after the written range.
func TestSiLUMulMatchesGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	edges := expEdges()
	for n := 0; n <= 100; n++ {
		for rep := range 20 {
			gate := make([]float32, n+3)
			up := make([]float32, n)
			for i := range gate {
				switch {
				case rep%4 == 3:
					gate[i] = edges[rng.IntN(len(edges))]
				case rep%4 == 2:
					gate[i] = float32(rng.NormFloat64() * 40)
				default:
					gate[i] = float32(rng.NormFloat64() * 3)
				}
			}
			for i := range up {
				up[i] = float32(rng.NormFloat64())
			}
			want := slices.Clone(gate)
			n8 := n &^ 7
			siluMul8Generic(want[:n8], up[:n8])
			for i := n8; i < n; i++ {
				g := want[i]
				want[i] = float32(g/(1+Expf(-g))) * up[i]
			}
			got := slices.Clone(gate)
			SiLUMul(got[:n], up)
			if !bitsEqual(got, want) {
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("n=%d: SiLUMul[%d] of %v = %v, reference %v", n, i, gate[i], got[i], want[i])
					}
				}
			}
		}
	}
	// Every edge value in every lane.
	gate := slices.Clone(edges[:len(edges)&^7])
	up := make([]float32, len(gate))
	for i := range up {
		up[i] = 1
	}
	want := slices.Clone(gate)
	siluMul8Generic(want, up)
	siluMul8(gate, up)
	for i := range gate {
		if math.Float32bits(gate[i]) != math.Float32bits(want[i]) {
			t.Fatalf("siluMul8 of %v = %v, reference %v", edges[i], gate[i], want[i])
		}
	}
}

// TestSoftMaxTileMatchesGeneric checks softMaxTile against
// softMaxTileGeneric: each vexpf lane (edge inputs with m = 0, where
// x - 0 is x) and the float64 sum, and random tiles with -inf padding.
func TestSoftMaxTileMatchesGeneric(t *testing.T) {
	edges := expEdges()
	for off := range 8 {
		x := slices.Clone(edges[off : off+(len(edges)-8)&^7])
		want := slices.Clone(x)
		ws := softMaxTileGeneric(want, 0)
		gs := softMaxTile(x, 0)
		for i := range x {
			if math.Float32bits(x[i]) != math.Float32bits(want[i]) {
				t.Fatalf("vexpf(%v) = %v, reference %v", edges[off+i], x[i], want[i])
			}
		}
		if math.Float64bits(gs) != math.Float64bits(ws) && !(math.IsNaN(gs) && math.IsNaN(ws)) {
			t.Fatalf("edge sum %v, reference %v", gs, ws)
		}
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for rep := range 2000 {
		n := 8 * (1 + rng.IntN(16))
		x := make([]float32, n)
		m := float32(math.Inf(-1))
		for i := range x {
			x[i] = float32(rng.NormFloat64() * float64(1+rep%30))
			if rng.IntN(5) == 0 {
				x[i] = float32(math.Inf(-1))
			}
			m = max(m, x[i])
		}
		if rep%3 == 0 {
			m += float32(rng.NormFloat64())
		}
		want := slices.Clone(x)
		ws := softMaxTileGeneric(want, m)
		gs := softMaxTile(x, m)
		if !bitsEqual(x, want) || math.Float64bits(gs) != math.Float64bits(ws) {
			t.Fatalf("rep %d: softMaxTile differs (sum %v, reference %v)", rep, gs, ws)
		}
	}
}

func BenchmarkSiLUMul(b *testing.B) {
	const n = 8192
	rng := rand.New(rand.NewPCG(7, 8))
	gate0, up := make([]float32, n), make([]float32, n)
	for i := range gate0 {
		gate0[i], up[i] = float32(rng.NormFloat64()*2), float32(rng.NormFloat64())
	}
	gate := make([]float32, n)
	for _, impl := range []struct {
		name string
		f    func(g, u []float32)
	}{{"go", siluMul8Generic}, {"asm", siluMul8}} {
		b.Run(impl.name, func(b *testing.B) {
			b.SetBytes(3 * 4 * n)
			for b.Loop() {
				copy(gate, gate0)
				impl.f(gate, up)
			}
		})
	}
}

// TestRope: RopeNorm and RopeNeox (assembly where there is one, Go for the
// tails) equal the Go loops element for element, for rotated widths with
// and without tails and heads wider than the rotated part.
func TestRope(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for _, nDims := range []int{2, 6, 8, 16, 24, 40, 64, 80, 96, 128, 256} {
		for iter := 0; iter < 20; iter++ {
			d := nDims + 2*rng.IntN(3)
			x := make([]float32, d)
			cache := make([]float32, nDims)
			for i := range x {
				x[i] = float32(rng.NormFloat64()) * 30
			}
			for i := 0; i < nDims; i += 2 {
				a := rng.Float64() * 100
				cache[i], cache[i+1] = float32(math.Cos(a)), float32(math.Sin(a))
			}
			for _, neox := range []bool{false, true} {
				got, want := append([]float32(nil), x...), append([]float32(nil), x...)
				if neox {
					RopeNeox(got, cache, nDims)
					ropeNeoxGeneric(want, cache, 0, nDims)
				} else {
					RopeNorm(got, cache, nDims)
					ropeNormGeneric(want, cache, 0, nDims)
				}
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("neox=%v nDims=%d d=%d: x[%d] = %v, want %v", neox, nDims, d, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// MaxNonNaN (AVX) returns what its Go twin returns, bit for bit, over
// lengths around the 32-element blocks, with NaNs, infinities and zeros of
// both signs among the elements.
func TestMaxNonNaN(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	special := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1))}
	for iter := 0; iter < 4000; iter++ {
		x := make([]float32, rng.IntN(200))
		for i := range x {
			if rng.IntN(6) == 0 {
				x[i] = special[rng.IntN(len(special))]
			} else {
				x[i] = float32(rng.NormFloat64())
			}
		}
		init := float32(rng.NormFloat64())
		if iter%3 == 0 {
			init = special[1+rng.IntN(len(special)-1)]
		}
		got, want := MaxNonNaN(x, init), maxNonNaNGeneric(x, init)
		if got != want || (got == 0 && math.Signbit(float64(got)) != math.Signbit(float64(want)) && !hasBothZeros(x, init)) {
			t.Fatalf("MaxNonNaN(%v, %v) = %v, want %v", x, init, got, want)
		}
	}
}

// hasBothZeros says whether +0 and -0 are both candidates, when a maximum
// of 0 may have either sign.
func hasBothZeros(x []float32, init float32) bool {
	var pos, neg bool
	for _, v := range append([]float32{init}, x...) {
		if v == 0 {
			if math.Signbit(float64(v)) {
				neg = true
			} else {
				pos = true
			}
		}
	}
	return pos && neg
}
