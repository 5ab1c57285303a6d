//go:build linux

package kernels

import (
	"math/rand/v2"
	"slices"
	"syscall"
	"testing"
	"unsafe"
)

// guardedF16 returns a slice of n float16 values that ends exactly at a
// page followed by an inaccessible page, so that a read past its end
// faults, and a function that unmaps it.
func guardedF16(t *testing.T, n int) ([]uint16, func()) {
	page := syscall.Getpagesize()
	size := (2*n + page - 1) / page * page
	mem, err := syscall.Mmap(-1, 0, size+page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Skip("mmap:", err)
	}
	if err := syscall.Mprotect(mem[size:], syscall.PROT_NONE); err != nil {
		t.Skip("mprotect:", err)
	}
	s := unsafe.Slice((*uint16)(unsafe.Pointer(&mem[size-2*n])), n)
	return s, func() { syscall.Munmap(mem) }
}

// TestAttendTiledGuard runs AttendTiled over K and V that end at an
// unmapped page: partial tiles must not read rows past n.
func TestAttendTiledGuard(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, d := range []int{8, 64, 128} {
		for _, n := range []int{1, 5, 33, 64, 70, 100, 130} {
			stride := 4 * d
			q, k0, v0 := attnCase(rng, n, d, stride, 1, false)
			k, freeK := guardedF16(t, len(k0))
			v, freeV := guardedF16(t, len(v0))
			copy(k, k0)
			copy(v, v0)
			want, got := make([]float32, d), make([]float32, d)
			attendTiledGeneric(want, q, k, v, 0, n, stride, 0.125, 0, make([]float32, d), make([]float32, TiledKV))
			AttendTiled(got, q, k, v, n, stride, 0.125, make([]float32, d), make([]float32, TiledKV))
			if !bitsEqual(got, want) {
				t.Fatalf("d=%d n=%d: differs", d, n)
			}
			q2 := append(slices.Clone(q), q...)
			got2 := make([]float32, 2*d)
			AttendTiledHeads(got2, q2, 2, k, v, n, stride, 0.125, make([]float32, TiledHeadsScratch(2, d)))
			if !bitsEqual(got2[:d], want) || !bitsEqual(got2[d:], want) {
				t.Fatalf("heads d=%d n=%d: differs", d, n)
			}
			freeK()
			freeV()
		}
	}
}
