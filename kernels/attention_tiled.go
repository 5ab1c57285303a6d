package kernels

import (
	"math"

	"github.com/hearthlm/hearth/quant"
)

// TiledKV is ggml's KV tile (GGML_FA_TILE_KV); TiledMinRows is the number
// of query rows in a ubatch (GGML_FA_TILE_Q) from which ggml-cpu takes the
// tiled flash-attention path (when the head size is a multiple of 8, the
// AVX2 f32 vector width).
const (
	TiledKV      = 64
	TiledMinRows = 64
)

// UseTiled reports whether ggml-cpu (AVX2) computes attention for a ubatch
// of rows query rows with head size d by ggml_compute_forward_flash_attn_ext_tiled.
func UseTiled(rows, d int) bool { return rows >= TiledMinRows && d%8 == 0 }

// AttendTiled is one query row of ggml_compute_forward_flash_attn_ext_tiled
// (ggml-cpu/ops.cpp) over an f16 cache on AVX2, for n visible positions:
// the query stays f32; per KV tile of 64 the scores are simd_gemm dot
// products (a fused multiply-add chain over the head dims, in order) times
// scale, masked and padded entries -inf; the running maximum rescales the
// f32 accumulator and sum by glibc's expf; ggml_vec_soft_max_f32 turns the
// tile's scores into ggml_v_expf(s - max), summed 8 at a time (a pairwise
// tree within the 8, then into a float64); the values are accumulated
// into acc by another fma chain over the tile's rows; out = acc / S.
// acc and kq are scratch of len(q) and TiledKV.
func AttendTiled(out, q []float32, k, v []uint16, n, stride int, scale float32, acc, kq []float32) {
	attendTiled(out, q, k, v, 0, n, stride, scale, 0, acc, kq)
}

// AttendTiledMasked is AttendTiled over the cells lo..n-1 only, with an
// optional logit soft cap, as ggml's tiled path computes a row whose mask
// hides the cells before lo (a sliding window): the KV tiles still start
// at cell 0, a row skips the tiles that are wholly masked for it, and in
// the tile holding lo the cells before it score -inf. When softcap is not
// zero the scale is divided by it once and each scaled score s becomes
// softcap·tanhf(s) (Tanhf), before the mask (Gemma 2's
// attn_logit_softcapping).
func AttendTiledMasked(out, q []float32, k, v []uint16, lo, n, stride int, scale, softcap float32, acc, kq []float32) {
	if softcap != 0 {
		scale /= softcap
	}
	attendTiled(out, q, k, v, lo, n, stride, scale, softcap, acc, kq)
}

// TiledHeadsScratch is the length of the scratch AttendTiledHeads needs
// for heads query rows of d dims: their accumulators, a tile of scores, a
// transposed K tile, and each row's running maximum and sum.
func TiledHeadsScratch(heads, d int) int { return heads*d + TiledKV + TiledKV*d + 2*heads }

// AttendTiledHeads is AttendTiled for heads query rows over the same K
// and V (the query heads that share one KV head under grouped-query
// attention): row h of q (d = len(q)/heads dims, rows consecutive) gives
// row h of out, bit for bit the result of AttendTiled for that row alone.
// Sharing the tile lets the assembly convert and transpose each K tile
// once for all the rows. scratch must hold TiledHeadsScratch(heads, d)
// floats.
func AttendTiledHeads(out, q []float32, heads int, k, v []uint16, n, stride int, scale float32, scratch []float32) {
	attendTiledHeads(out, q, heads, k, v, 0, n, stride, scale, 0, scratch)
}

// AttendTiledHeadsMasked is AttendTiledHeads with AttendTiledMasked's
// mask of the cells before lo and soft cap: each row equals
// AttendTiledMasked's result for it alone, bit for bit.
func AttendTiledHeadsMasked(out, q []float32, heads int, k, v []uint16, lo, n, stride int, scale, softcap float32, scratch []float32) {
	if softcap != 0 {
		scale /= softcap
	}
	attendTiledHeads(out, q, heads, k, v, lo, n, stride, scale, softcap, scratch)
}

// attendTiledHeadsRows is attendTiledHeads one row at a time.
func attendTiledHeadsRows(out, q []float32, heads int, k, v []uint16, lo, n, stride int, scale, softcap float32, scratch []float32) {
	if heads <= 0 {
		return
	}
	d := len(q) / heads
	acc, kq := scratch[:d], scratch[d:d+TiledKV]
	for h := range heads {
		attendTiled(out[h*d:(h+1)*d], q[h*d:(h+1)*d], k, v, lo, n, stride, scale, softcap, acc, kq)
	}
}

// firstTile is the first cell of the KV tile holding cell lo: the tiles
// before it are wholly masked.
func firstTile(lo int) int { return max(lo, 0) / TiledKV * TiledKV }

// softcapTile sets kq[t] = softcap·tanhf(kq[t]) for lo <= t < rows and
// returns the maximum of kq (whose other entries are -inf).
func softcapTile(kq []float32, lo, rows int, softcap float32) float32 {
	tileMax := float32(math.Inf(-1))
	for t := lo; t < rows; t++ {
		s := softcap * Tanhf(kq[t])
		kq[t] = s
		tileMax = max(tileMax, s)
	}
	return tileMax
}

// attendTiledGeneric is AttendTiledMasked (with scale already divided by
// a non-zero softcap) in Go, operation for operation; the assembly
// (attn_amd64.s, ops_amd64.s) reproduces it bit for bit.
func attendTiledGeneric(out, q []float32, k, v []uint16, lo, n, stride int, scale, softcap float32, acc, kq []float32) {
	d := len(q)
	acc = acc[:d]
	kq = kq[:TiledKV]
	for i := range acc {
		acc[i] = 0
	}
	var sum float32
	m := float32(math.Inf(-1))
	for ic := firstTile(lo); ic < n; ic += TiledKV {
		rows := min(TiledKV, n-ic)
		first := max(0, lo-ic)
		tileMax := float32(math.Inf(-1))
		for t := range kq {
			if t >= rows || t < first {
				kq[t] = float32(math.Inf(-1))
				continue
			}
			kr := k[(ic+t)*stride : (ic+t)*stride+d]
			var s float32
			for i, x := range q {
				s = quant.FMA32(quant.FP16ToFP32(kr[i]), x, s)
			}
			s *= scale
			if softcap != 0 {
				s = softcap * Tanhf(s)
			}
			kq[t] = s
			tileMax = max(tileMax, s)
		}
		if tileMax > m {
			ms := Expf(m - tileMax)
			for i := range acc {
				acc[i] *= ms
			}
			sum *= ms
			m = tileMax
		}
		sum = float32(float64(sum) + softMaxTileGeneric(kq, m))
		for t := 0; t < rows; t++ {
			vr := v[(ic+t)*stride : (ic+t)*stride+d]
			p := kq[t]
			for i := range acc {
				acc[i] = quant.FMA32(quant.FP16ToFP32(vr[i]), p, acc[i])
			}
		}
	}
	inv := float32(0)
	if sum != 0 {
		inv = 1 / sum
	}
	for i := range out[:d] {
		out[i] = acc[i] * inv
	}
}
