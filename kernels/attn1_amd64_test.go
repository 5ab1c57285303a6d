//go:build amd64 && !purego

package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/hearthlm/hearth/quant"
)

// attendOnlineRef is the one-chunk attention cell by cell with the Go
// element-wise helpers: ggml's loop as AttendOnline documents it.
func attendOnlineRef(out, q []float32, k, v []uint16, n, stride int, scale, softcap float32) {
	d := len(q)
	q16 := make([]float32, d)
	for i, x := range q {
		q16[i] = quant.FP16ToFP32(quant.FP32ToFP16(x))
	}
	acc := make([]uint16, d)
	var sum float32
	m := float32(math.Inf(-1))
	for j := 0; j < n; j++ {
		s := quant.DotF16(k[j*stride:j*stride+d], q16) * scale
		if softcap != 0 {
			s = softcap * Tanhf(s)
		}
		ms, vs := float32(1), float32(1)
		if s > m {
			old := m
			m = s
			ms = Expf(old - m)
			scaleF16Generic(acc, ms)
		} else {
			vs = Expf(s - m)
		}
		madF16Generic(acc, v[j*stride:j*stride+d], vs)
		sum = float32(sum*ms) + vs
	}
	inv := float32(0)
	if sum != 0 {
		inv = 1 / sum
	}
	for i := range out[:d] {
		out[i] = quant.FP16ToFP32(acc[i]) * inv
	}
}

// TestAttendOnlineCells: AttendOnline, AttendOnlineSoftcap and
// AttendOnlineGroup, which score and accumulate blocks of cells for all the
// heads of a group per assembly call, equal the cell-by-cell Go loop run
// for each head on its own, bit for bit, for head sizes with and without
// the assembly, group sizes up to past the kernel's eight, cell counts
// around the block size, and scores that set new maxima often (rising
// keys) or rarely.
func TestAttendOnlineCells(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2 here")
	}
	rng := rand.New(rand.NewPCG(51, 52))
	for _, d := range []int{8, 40, 64, 128, 256} {
		for _, n := range []int{1, 2, 5, 63, 64, 65, 130, 300} {
			for _, rising := range []bool{false, true} {
				stride := d + 8*rng.IntN(3)
				k := make([]uint16, n*stride)
				v := make([]uint16, n*stride)
				for j := 0; j < n; j++ {
					g := 1.0
					if rising {
						g = 0.2 + 3*float64(j)/float64(n)
					}
					for i := 0; i < stride; i++ {
						k[j*stride+i] = quant.FP32ToFP16(float32(rng.NormFloat64() * g))
						v[j*stride+i] = quant.FP32ToFP16(float32(rng.NormFloat64()))
					}
				}
				const maxHeads = 10
				q := make([]float32, maxHeads*d)
				for i := range q {
					q[i] = float32(rng.NormFloat64())
				}
				for _, softcap := range []float32{0, 2.5} {
					scale := float32(1 / math.Sqrt(float64(d)))
					want := make([]float32, maxHeads*d)
					for h := 0; h < maxHeads; h++ {
						attendOnlineRef(want[h*d:(h+1)*d], q[h*d:(h+1)*d], k, v, n, stride, scale/max(1, softcap), softcap)
					}
					check := func(what string, got []float32) {
						t.Helper()
						for i := range got {
							if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
								t.Fatalf("%s d=%d n=%d rising=%v softcap=%v: out[%d] = %v, want %v", what, d, n, rising, softcap, i, got[i], want[i])
							}
						}
					}
					got := make([]float32, d)
					if softcap != 0 {
						AttendOnlineSoftcap(got, q[:d], k, v, n, stride, scale, softcap, make([]float32, d), make([]uint16, d))
					} else {
						AttendOnline(got, q[:d], k, v, n, stride, scale, make([]float32, d), make([]uint16, d))
					}
					check("one head", got)
					for _, g := range []int{1, 2, 3, 4, 8, 9} {
						got := make([]float32, g*d)
						AttendOnlineGroup(got, q[:g*d], g, k, v, n, stride, scale, softcap, make([]float32, g*d), make([]uint16, g*d))
						check(fmt.Sprintf("group of %d", g), got)
					}
				}
			}
		}
	}
}
