//go:build arm64 && !purego

package kernels

import (
	"unsafe"

	"golang.org/x/sys/cpu"

	"github.com/hearthlm/hearth/gguf"
)

// useNEON selects the NEON row-dot kernels (dot_arm64.s). ASIMD and FP are
// part of every arm64 Linux system, but the check keeps the Go path for an
// exotic one. It is a variable so that tests can switch the kernels off.
var useNEON = cpu.ARM64.HasASIMD && cpu.ARM64.HasFP

// useSDOT selects the kernels' dotprod variants (SDOT) over the plain ASIMD
// ones; tests switch it off to check those on machines that have dotprod.
var useSDOT = cpu.ARM64.HasASIMDDP

// useMultiToken is kept for the tests shared with amd64; there are no
// multi-token kernels on arm64 yet, so DotRowsFastN runs the one-token
// kernel per token.
var useMultiToken = true

// The kernels compute out[r] = dot(row r of w, x) for r < rows, each row
// being nb blocks, bit-identical to quant.VecDot: the reference's 8 float
// lanes are two 4-lane registers with the same FMAs, then the same
// horizontal sums. The pointers must cover rows*nb weight blocks, nb
// activation blocks and rows outputs; rows and nb must be at least 1.
// The ...SDOT variants need dotprod (cpu.ARM64.HasASIMDDP).

//go:noescape
func dotRowsQ8_0SDOT(w, x *byte, out *float32, rows, nb int)

//go:noescape
func dotRowsQ4_0SDOT(w, x *byte, out *float32, rows, nb int)

//go:noescape
func dotRowsQ4KSDOT(w, x *byte, out *float32, rows, nb int)

//go:noescape
func dotRowsQ5KSDOT(w, x *byte, out *float32, rows, nb int)

//go:noescape
func dotRowsQ6KSDOT(w, x *byte, out *float32, rows, nb int)

//go:noescape
func dotRowsQ8_0NEON(w, x *byte, out *float32, rows, nb int)

//go:noescape
func dotRowsQ4_0NEON(w, x *byte, out *float32, rows, nb int)

//go:noescape
func dotRowsQ4KNEON(w, x *byte, out *float32, rows, nb int)

//go:noescape
func dotRowsQ5KNEON(w, x *byte, out *float32, rows, nb int)

//go:noescape
func dotRowsQ6KNEON(w, x *byte, out *float32, rows, nb int)

type rowKernel func(w, x *byte, out *float32, rows, nb int)

// fastKernel returns the kernel for weight type t, the number of elements
// one of its steps covers, and the bytes of weights and activations per step.
func fastKernel(t gguf.Type) (k rowKernel, elems, wBytes, xBytes int) {
	if !useNEON {
		return nil, 0, 0, 0
	}
	sd := useSDOT
	pick := func(a, b rowKernel) rowKernel {
		if sd {
			return a
		}
		return b
	}
	switch t {
	case gguf.TypeQ4_K:
		return pick(dotRowsQ4KSDOT, dotRowsQ4KNEON), 256, 144, 292
	case gguf.TypeQ5_K:
		return pick(dotRowsQ5KSDOT, dotRowsQ5KNEON), 256, 176, 292
	case gguf.TypeQ6_K:
		return pick(dotRowsQ6KSDOT, dotRowsQ6KNEON), 256, 210, 292
	case gguf.TypeQ8_0:
		return pick(dotRowsQ8_0SDOT, dotRowsQ8_0NEON), 32, 34, 34
	case gguf.TypeQ4_0:
		return pick(dotRowsQ4_0SDOT, dotRowsQ4_0NEON), 32, 18, 34
	case gguf.TypeF32:
		return dotRowsF32NEON, 32, 128, 128
	case gguf.TypeF16:
		return dotRowsF16NEON, 32, 64, 64
	case gguf.TypeBF16:
		return dotRowsBF16NEON, 32, 64, 64
	}
	return nil, 0, 0, 0
}

// DotRowsFast sets out[r] = quant.VecDot(t, n, row r of w, x) for r < rows,
// with the assembly kernel for t, and reports whether it did: it returns
// false, touching nothing, when there is no kernel for t on this machine
// (or for F32/F16/BF16 rows whose length is not a multiple of 32).
// The results are bit-identical to quant.DotRows. It panics, as
// quant.DotRows does, when w, x or out are too short.
func DotRowsFast(t gguf.Type, n int, w []byte, rows int, x []byte, out []float32) bool {
	k, elems, wb, xb := fastKernel(t)
	if k == nil || n <= 0 || n%elems != 0 {
		return false
	}
	if rows <= 0 {
		return true
	}
	nb := n / elems
	if len(w) < rows*nb*wb || len(x) < nb*xb || len(out) < rows {
		panic("kernels: DotRowsFast: " + t.String() + " buffers too short")
	}
	k(unsafe.SliceData(w), unsafe.SliceData(x), unsafe.SliceData(out), rows, nb)
	return true
}

// DotRowsFastN is DotRowsFast for ntok activation rows at once: for t <
// ntok and r < rows it sets out[t*outStride+r] to the dot product of weight
// row r with the activation row x[t*xStride:], bit-identical to
// quant.DotRows on each. It returns false, touching nothing, where
// DotRowsFast would.
func DotRowsFastN(t gguf.Type, n int, w []byte, rows int, x []byte, xStride, ntok int, out []float32, outStride int) bool {
	k, elems, wb, xb := fastKernel(t)
	if k == nil || n <= 0 || n%elems != 0 {
		return false
	}
	if rows <= 0 || ntok <= 0 {
		return true
	}
	nb := n / elems
	if len(w) < rows*nb*wb || xStride < nb*xb || len(x) < (ntok-1)*xStride+nb*xb ||
		outStride < rows || len(out) < (ntok-1)*outStride+rows {
		panic("kernels: DotRowsFastN: " + t.String() + " buffers too short")
	}
	for tok := 0; tok < ntok; tok++ {
		k(unsafe.SliceData(w), &x[tok*xStride], &out[tok*outStride], rows, nb)
	}
	return true
}
