//go:build amd64 && !purego

package kernels

import (
	"math"
	"unsafe"
)

//go:noescape
func attnScoresAVX2(q *float32, k *uint16, strideBytes, d, rows, lo int, scale float32, kq *float32) float32

//go:noescape
func attnTransposeAVX2(k *uint16, strideBytes, d, rows int, kt *float32)

//go:noescape
func attnScoresTAVX2(q *float32, kt *float32, d, rows, lo int, scale float32, kq *float32) float32

//go:noescape
func attnAccumAVX2(acc *float32, d int, v *uint16, strideBytes, rows int, p *float32, ms float32)

// attendTiled is attendTiledGeneric with the per-tile work in AVX2
// assembly: attnScoresAVX2 (scores, mask, padding and tile maximum; with
// a soft cap, softcapTile in Go then caps the visible scores and takes
// the maximum again),
// softMaxTile (ggml_v_expf and the float64 sum) and attnAccumAVX2 (the
// rescale by ms, 1 when the maximum stays, and the value chains). The
// tile maximum comes from VMAXPS, which may pick the other zero when the
// maximum is ±0; that changes no result, since s - (+0) and s - (-0)
// differ only for s = ±0, where vexpf gives 1 either way, and ±0 compare
// equal.
func attendTiled(out, q []float32, k, v []uint16, lo, n, stride int, scale, softcap float32, acc, kq []float32) {
	d := len(q)
	if !useAVX2 || n <= 0 || d == 0 || d%8 != 0 {
		attendTiledGeneric(out, q, k, v, lo, n, stride, scale, softcap, acc, kq)
		return
	}
	acc = acc[:d]
	kq = kq[:TiledKV]
	out = out[:d]
	// The rows the assembly reads, checked as the Go code would.
	last := (n-1)*stride + d
	_, _ = k[last-1], v[last-1]
	for i := range acc {
		acc[i] = 0
	}
	var sum float32
	m := float32(math.Inf(-1))
	for ic := firstTile(lo); ic < n; ic += TiledKV {
		rows := min(TiledKV, n-ic)
		first := max(0, lo-ic)
		tileMax := attnScoresAVX2(unsafe.SliceData(q), &k[ic*stride], 2*stride, d, rows, first, scale, unsafe.SliceData(kq))
		if softcap != 0 {
			tileMax = softcapTile(kq, first, rows, softcap)
		}
		ms := float32(1)
		if tileMax > m {
			ms = Expf(m - tileMax)
			sum *= ms
			m = tileMax
		}
		sum = float32(float64(sum) + softMaxTile(kq, m))
		attnAccumAVX2(unsafe.SliceData(acc), d, &v[ic*stride], 2*stride, rows, unsafe.SliceData(kq), ms)
	}
	inv := float32(0)
	if sum != 0 {
		inv = 1 / sum
	}
	for i := range out {
		out[i] = acc[i] * inv
	}
}

// attendTiledHeads is attendTiled for several query rows sharing K and V:
// per tile, attnTransposeAVX2 converts and transposes K once, then each
// row takes its scores from the transposed tile (attnScoresTAVX2, the
// same fma chains as attnScoresAVX2) and goes on as attendTiled does,
// with its own maximum, sum and accumulator.
func attendTiledHeads(out, q []float32, heads int, k, v []uint16, lo, n, stride int, scale, softcap float32, scratch []float32) {
	if heads <= 0 {
		return
	}
	d := len(q) / heads
	if !useAVX2 || heads == 1 || n <= 0 || d == 0 || d%8 != 0 {
		attendTiledHeadsRows(out, q, heads, k, v, lo, n, stride, scale, softcap, scratch)
		return
	}
	q, out = q[:heads*d], out[:heads*d]
	scratch = scratch[:TiledHeadsScratch(heads, d)]
	acc, scratch := scratch[:heads*d], scratch[heads*d:]
	kq, scratch := scratch[:TiledKV], scratch[TiledKV:]
	kt, scratch := scratch[:TiledKV*d], scratch[TiledKV*d:]
	mx, sum := scratch[:heads], scratch[heads:2*heads]
	last := (n-1)*stride + d
	_, _ = k[last-1], v[last-1]
	for i := range acc {
		acc[i] = 0
	}
	for h := range heads {
		mx[h] = float32(math.Inf(-1))
		sum[h] = 0
	}
	for ic := firstTile(lo); ic < n; ic += TiledKV {
		rows := min(TiledKV, n-ic)
		first := max(0, lo-ic)
		attnTransposeAVX2(&k[ic*stride], 2*stride, d, rows, unsafe.SliceData(kt))
		for h := range heads {
			tileMax := attnScoresTAVX2(&q[h*d], unsafe.SliceData(kt), d, rows, first, scale, unsafe.SliceData(kq))
			if softcap != 0 {
				tileMax = softcapTile(kq, first, rows, softcap)
			}
			ms := float32(1)
			if tileMax > mx[h] {
				ms = Expf(mx[h] - tileMax)
				sum[h] *= ms
				mx[h] = tileMax
			}
			sum[h] = float32(float64(sum[h]) + softMaxTile(kq, mx[h]))
			attnAccumAVX2(&acc[h*d], d, &v[ic*stride], 2*stride, rows, unsafe.SliceData(kq), ms)
		}
	}
	for h := range heads {
		inv := float32(0)
		if sum[h] != 0 {
			inv = 1 / sum[h]
		}
		o, a := out[h*d:(h+1)*d], acc[h*d:(h+1)*d]
		for i := range o {
			o[i] = a[i] * inv
		}
	}
}
