//go:build amd64 && !purego

package kernels

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/hearthlm/hearth/quant"
)

// TestAttnKernelsMatchGeneric checks the tile kernels on their own: the
// scores with padding and maximum, and the value accumulation with a
// rescale, against the loops of attendTiledGeneric.
func TestAttnKernelsMatchGeneric(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2")
	}
	rng := rand.New(rand.NewPCG(13, 14))
	for _, d := range []int{8, 16, 32, 40, 64, 104, 128, 256} {
		for rows := 1; rows <= TiledKV; rows++ {
			stride := d + 8*rng.IntN(3)
			q, k, v := attnCase(rng, rows, d, stride, 1, false)
			scale := float32(rng.NormFloat64())
			lo := 0
			if rows%3 == 0 {
				lo = rng.IntN(rows)
			}
			want := make([]float32, TiledKV)
			wmax := float32(math.Inf(-1))
			for tt := range want {
				want[tt] = float32(math.Inf(-1))
				if tt < rows && tt >= lo {
					var s float32
					for i, x := range q {
						s = quant.FMA32(quant.FP16ToFP32(k[tt*stride+i]), x, s)
					}
					want[tt] = s * scale
				}
				wmax = max(wmax, want[tt])
			}
			got := make([]float32, TiledKV)
			gmax := attnScoresAVX2(&q[0], &k[0], 2*stride, d, rows, lo, scale, &got[0])
			if !bitsEqual(got, want) || gmax != wmax {
				t.Fatalf("scores d=%d rows=%d lo=%d differ (max %v, reference %v)", d, rows, lo, gmax, wmax)
			}
			kt := make([]float32, TiledKV*d)
			attnTransposeAVX2(&k[0], 2*stride, d, rows, &kt[0])
			clear(got)
			gmax = attnScoresTAVX2(&q[0], &kt[0], d, rows, lo, scale, &got[0])
			if !bitsEqual(got, want) || gmax != wmax {
				t.Fatalf("transposed scores d=%d rows=%d lo=%d differ (max %v, reference %v)", d, rows, lo, gmax, wmax)
			}
			p := make([]float32, TiledKV)
			for i := range p {
				p[i] = float32(rng.Float64())
			}
			ms := float32(rng.Float64())
			acc0 := make([]float32, d)
			for i := range acc0 {
				acc0[i] = float32(rng.NormFloat64())
			}
			wacc := slices.Clone(acc0)
			for i := range wacc {
				wacc[i] *= ms
			}
			for tt := 0; tt < rows; tt++ {
				for i := range wacc {
					wacc[i] = quant.FMA32(quant.FP16ToFP32(v[tt*stride+i]), p[tt], wacc[i])
				}
			}
			gacc := append(slices.Clone(acc0), 42)
			attnAccumAVX2(&gacc[0], d, &v[0], 2*stride, rows, &p[0], ms)
			if !bitsEqual(gacc, append(wacc, 42)) {
				t.Fatalf("accumulation d=%d rows=%d differs", d, rows)
			}
		}
	}
}
