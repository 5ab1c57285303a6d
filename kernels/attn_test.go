package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/hearthlm/hearth/quant"
)

// attnCase builds a query of d dims and n cache rows of K and V at the
// given stride (elements), the slices ending right after the last row.
func attnCase(rng *rand.Rand, n, d, stride int, kscale float64, zeroQ bool) (q []float32, k, v []uint16) {
	q = make([]float32, d)
	for i := range q {
		if !zeroQ {
			q[i] = float32(rng.NormFloat64())
		}
	}
	size := (n-1)*stride + d
	k, v = randF16(rng, size, kscale), randF16(rng, size, 1)
	// A few extreme and zero elements.
	for range 3 {
		k[rng.IntN(size)] = quant.FP32ToFP16(float32(max(-60000, min(60000, rng.NormFloat64()*3000))))
		v[rng.IntN(size)] = 0
	}
	return q, k, v
}

// TestAttendTiledMatchesGeneric compares AttendTiled (assembly where
// available) with attendTiledGeneric bit for bit: n from 1 past several
// tiles (full, partial and single-row tiles, rows 32 and 33 of a tile),
// head sizes 8..256, GQA-like and odd strides, positive, negative and
// large scales, a zero query (every score ±0), and guard elements after
// out.
func TestAttendTiledMatchesGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	ns := []int{1, 2, 7, 8, 9, 31, 32, 33, 63, 64, 65, 96, 127, 128, 129, 200, 257, 511, 512}
	for range 8 {
		ns = append(ns, 1+rng.IntN(700))
	}
	for _, d := range []int{8, 16, 24, 40, 64, 72, 96, 128, 136, 256} {
		for ci, n := range ns {
			if d > 128 && ci%2 == 1 {
				continue
			}
			strides := []int{d, 8 * d, d + 8*(1+rng.IntN(4))}
			if ci%3 == 0 {
				strides = append(strides, d+1, d+3)
			}
			for _, stride := range strides {
				scale := float32(1 / math.Sqrt(float64(d)))
				kscale := 1.0
				switch rng.IntN(5) {
				case 0:
					scale = -scale
				case 1:
					kscale = 20
				case 2:
					scale *= 16
				}
				zeroQ := rng.IntN(15) == 0
				q, k, v := attnCase(rng, n, d, stride, kscale, zeroQ)
				want := make([]float32, d+4)
				attendTiledGeneric(want, q, k, v, 0, n, stride, scale, 0, make([]float32, d), make([]float32, TiledKV))
				got := make([]float32, d+4)
				for i := range got {
					got[i] = float32(i)
					if i < d {
						got[i] = float32(math.NaN())
					}
				}
				copy(want[d:], got[d:])
				AttendTiled(got, q, k, v, n, stride, scale, make([]float32, d), make([]float32, TiledKV))
				if !bitsEqual(got, want) {
					for i := range got {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("d=%d n=%d stride=%d scale=%v zeroQ=%v: out[%d] = %v, reference %v",
								d, n, stride, scale, zeroQ, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

// TestAttendTiledHeadsMatchesGeneric checks that AttendTiledHeads gives
// each query row bit for bit what attendTiledGeneric gives it alone, for
// 1 to 8 rows, with scratch and out guards.
func TestAttendTiledHeadsMatchesGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	ns := []int{1, 3, 8, 31, 32, 33, 63, 64, 65, 127, 128, 129, 300}
	for _, d := range []int{8, 24, 64, 72, 128, 256} {
		for _, heads := range []int{1, 2, 3, 4, 8} {
			for ci, n := range ns {
				if d*heads > 512 && ci%2 == 1 {
					continue
				}
				stride := []int{d, 8 * d, d + 3}[ci%3]
				scale := float32(1/math.Sqrt(float64(d))) * []float32{1, -1, 8}[rng.IntN(3)]
				q := make([]float32, heads*d)
				for i := range q {
					q[i] = float32(rng.NormFloat64())
				}
				if ci%5 == 4 {
					clear(q[:d]) // a row of ±0 scores
				}
				_, k, v := attnCase(rng, n, d, stride, 1+float64(rng.IntN(2))*10, false)
				want := make([]float32, heads*d+2)
				for h := range heads {
					attendTiledGeneric(want[h*d:(h+1)*d], q[h*d:(h+1)*d], k, v, 0, n, stride, scale, 0, make([]float32, d), make([]float32, TiledKV))
				}
				got := make([]float32, heads*d+2)
				got[heads*d], got[heads*d+1] = 7, 8
				want[heads*d], want[heads*d+1] = 7, 8
				scratch := make([]float32, TiledHeadsScratch(heads, d)+1)
				scratch[len(scratch)-1] = 9
				for i := range scratch[:len(scratch)-1] {
					scratch[i] = float32(math.NaN())
				}
				AttendTiledHeads(got, q, heads, k, v, n, stride, scale, scratch[:len(scratch)-1])
				if !bitsEqual(got, want) || scratch[len(scratch)-1] != 9 {
					t.Fatalf("d=%d heads=%d n=%d stride=%d scale=%v: differs", d, heads, n, stride, scale)
				}
			}
		}
	}
}

// TestAttendTiledMaskedMatchesGeneric checks AttendTiledMasked and
// AttendTiledHeadsMasked (assembly where available) against
// attendTiledGeneric bit for bit, with the cells before lo masked (lo at,
// just before and just after tile bounds and inside tiles, the last
// visible cell alone) and soft caps of 0 (none), 50 and 30 (Gemma 2's),
// with scales large enough that capped scores saturate; and the masked
// reference itself against the plain one where lo = 0 and against
// tiles of whole masked cells: a row whose first visible cell starts a
// tile gives what the tiled path over the cells from there gives.
func TestAttendTiledMaskedMatchesGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, d := range []int{8, 24, 64, 128, 256} {
		for _, n := range []int{1, 9, 63, 64, 65, 100, 128, 129, 200, 300} {
			los := []int{0, n - 1, rng.IntN(n)}
			for _, b := range []int{63, 64, 65, 128, 129} {
				if b < n {
					los = append(los, b)
				}
			}
			for li, lo := range los {
				for _, softcap := range []float32{0, 50, 30} {
					stride := []int{d, 4 * d, d + 3}[(li+n)%3]
					scale := float32(1/math.Sqrt(float64(d))) * []float32{1, -1, 40}[rng.IntN(3)]
					heads := 1 + rng.IntN(4)
					q := make([]float32, heads*d)
					for i := range q {
						q[i] = float32(rng.NormFloat64())
					}
					_, k, v := attnCase(rng, n, d, stride, 1+float64(rng.IntN(2))*10, false)
					sc := scale
					if softcap != 0 {
						sc = scale / softcap
					}
					want := make([]float32, heads*d+1)
					for h := range heads {
						attendTiledGeneric(want[h*d:(h+1)*d], q[h*d:(h+1)*d], k, v, lo, n, stride, sc, softcap, make([]float32, d), make([]float32, TiledKV))
					}
					if lo == 0 && softcap == 0 {
						plain := make([]float32, d)
						attendTiledGeneric(plain, q[:d], k, v, 0, n, stride, scale, 0, make([]float32, d), make([]float32, TiledKV))
						if !bitsEqual(plain, want[:d]) {
							t.Fatalf("d=%d n=%d: lo = 0 differs from the plain path", d, n)
						}
					}
					if lo%TiledKV == 0 && lo > 0 && softcap == 0 {
						from := make([]float32, d)
						attendTiledGeneric(from, q[:d], k[lo*stride:], v[lo*stride:], 0, n-lo, stride, scale, 0, make([]float32, d), make([]float32, TiledKV))
						if !bitsEqual(from, want[:d]) {
							t.Fatalf("d=%d n=%d lo=%d: differs from the tiles from lo", d, n, lo)
						}
					}
					got := make([]float32, d+1)
					got[d] = 5
					want[heads*d] = 5
					for h := range heads {
						clear(got[:d])
						AttendTiledMasked(got, q[h*d:(h+1)*d], k, v, lo, n, stride, scale, softcap, make([]float32, d), make([]float32, TiledKV))
						if !bitsEqual(got[:d], want[h*d:(h+1)*d]) || got[d] != 5 {
							t.Fatalf("d=%d n=%d lo=%d softcap=%v stride=%d scale=%v row %d: differs", d, n, lo, softcap, stride, scale, h)
						}
					}
					gotH := make([]float32, heads*d+1)
					gotH[heads*d] = 5
					scratch := make([]float32, TiledHeadsScratch(heads, d))
					for i := range scratch {
						scratch[i] = float32(math.NaN())
					}
					AttendTiledHeadsMasked(gotH, q, heads, k, v, lo, n, stride, scale, softcap, scratch)
					if !bitsEqual(gotH, want) {
						t.Fatalf("heads=%d d=%d n=%d lo=%d softcap=%v stride=%d scale=%v: differs", heads, d, n, lo, softcap, stride, scale)
					}
				}
			}
		}
	}
}

func BenchmarkAttendTiled(b *testing.B) {
	const n = 512
	for _, d := range []int{64, 128} {
		rng := rand.New(rand.NewPCG(1, uint64(d)))
		stride := 8 * d
		q, k, v := attnCase(rng, n, d, stride, 1, false)
		out, acc, kq := make([]float32, d), make([]float32, d), make([]float32, TiledKV)
		scale := float32(1 / math.Sqrt(float64(d)))
		for _, impl := range []struct {
			name string
			f    func(out, q []float32, k, v []uint16, lo, n, stride int, scale, softcap float32, acc, kq []float32)
		}{{"go", attendTiledGeneric}, {"asm", attendTiled}} {
			b.Run(impl.name+"/d="+itoa(d), func(b *testing.B) {
				for b.Loop() {
					impl.f(out, q, k, v, 0, n, stride, scale, 0, acc, kq)
				}
				// Two fused multiply-adds per (row, dim): scores and values.
				b.ReportMetric(float64(4*n*d)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkAttendTiledHeads times the four query heads of one KV head
// (Llama 3.2 1B: 32 heads over 8 KV heads) over n = 512 positions:
// one AttendTiled call per row against one AttendTiledHeads call.
func BenchmarkAttendTiledHeads(b *testing.B) {
	const n, heads = 512, 4
	for _, d := range []int{64, 128} {
		rng := rand.New(rand.NewPCG(3, uint64(d)))
		stride := 8 * d
		_, k, v := attnCase(rng, n, d, stride, 1, false)
		q := make([]float32, heads*d)
		for i := range q {
			q[i] = float32(rng.NormFloat64())
		}
		out := make([]float32, heads*d)
		scratch := make([]float32, TiledHeadsScratch(heads, d))
		scale := float32(1 / math.Sqrt(float64(d)))
		flops := func(b *testing.B) {
			b.ReportMetric(float64(4*heads*n*d)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		}
		b.Run("rows/d="+itoa(d), func(b *testing.B) {
			for b.Loop() {
				for h := range heads {
					AttendTiled(out[h*d:(h+1)*d], q[h*d:(h+1)*d], k, v, n, stride, scale, scratch[:d], scratch[d:d+TiledKV])
				}
			}
			flops(b)
		})
		b.Run("heads/d="+itoa(d), func(b *testing.B) {
			for b.Loop() {
				AttendTiledHeads(out, q, heads, k, v, n, stride, scale, scratch)
			}
			flops(b)
		})
	}
}

func itoa(i int) string {
	s := ""
	for {
		s = string(rune('0'+i%10)) + s
		if i /= 10; i == 0 {
			return s
		}
	}
}

// BenchmarkAttendOnlineGroup is the one-row attention of decode over an
// f16 cache: 256 cells of a 128-wide head, one query head and a group of
// two sharing the KV head (Qwen3's), as ns per cell and head and GB/s of
// keys and values read.
func BenchmarkAttendOnlineGroup(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	const d, n = 128, 256
	k := make([]uint16, n*d)
	v := make([]uint16, n*d)
	for i := range k {
		k[i] = quant.FP32ToFP16(float32(rng.NormFloat64()))
		v[i] = quant.FP32ToFP16(float32(rng.NormFloat64()))
	}
	for _, g := range []int{1, 2} {
		q := make([]float32, g*d)
		for i := range q {
			q[i] = float32(rng.NormFloat64())
		}
		out, q16, acc := make([]float32, g*d), make([]float32, g*d), make([]uint16, g*d)
		b.Run(fmt.Sprintf("heads=%d", g), func(b *testing.B) {
			b.SetBytes(int64(4 * n * d))
			for b.Loop() {
				AttendOnlineGroup(out, q, g, k, v, n, d, 0.088, 0, q16, acc)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n*g), "ns/cell-head")
		})
	}
}
