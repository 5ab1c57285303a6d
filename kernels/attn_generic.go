//go:build !amd64 || purego

package kernels

func attendTiled(out, q []float32, k, v []uint16, lo, n, stride int, scale, softcap float32, acc, kq []float32) {
	attendTiledGeneric(out, q, k, v, lo, n, stride, scale, softcap, acc, kq)
}

func attendTiledHeads(out, q []float32, heads int, k, v []uint16, lo, n, stride int, scale, softcap float32, scratch []float32) {
	attendTiledHeadsRows(out, q, heads, k, v, lo, n, stride, scale, softcap, scratch)
}
