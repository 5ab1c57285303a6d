//go:build amd64 && !purego

package quant

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// useQ8KAsm selects quantQ8KAVX2 (tests switch it off to compare).
var useQ8KAsm = cpu.X86.HasAVX2

//go:noescape
func quantQ8KAVX2(x *float32, blk *byte, nb int)

// quantQ8KRow quantizes nb super-blocks of 256 from x to Q8_K blocks in
// dst: quantQ8K's result (assembly where there is AVX2).
func quantQ8KRow(x []float32, dst []byte, nb int) {
	if nb == 0 {
		return
	}
	if !useQ8KAsm {
		quantQ8KRowGo(x, dst, nb)
		return
	}
	_, _ = x[nb*qkK-1], dst[nb*292-1]
	quantQ8KAVX2(unsafe.SliceData(x), unsafe.SliceData(dst), nb)
}

//go:noescape
func quantQ8x86AVX2(x *float32, blk *byte, nb int, withSum bool)

// quantQ8x86Row quantizes nb blocks of 32 from x to Q8_0 (withSum false)
// or Q8_1 blocks in dst: quantQ8x86's result (assembly where there is
// AVX2).
func quantQ8x86Row(x []float32, dst []byte, nb int, withSum bool) {
	if nb == 0 {
		return
	}
	if !useQ8KAsm {
		quantQ8x86RowGo(x, dst, nb, withSum)
		return
	}
	bs := 34
	if withSum {
		bs = 36
	}
	_, _ = x[nb*32-1], dst[nb*bs-1]
	quantQ8x86AVX2(unsafe.SliceData(x), unsafe.SliceData(dst), nb, withSum)
}
