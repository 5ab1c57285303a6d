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

// useMultiToken selects the multi-token kernels in DotRowsFastN (tests and
// benchmarks switch it off to compare).
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

// Multi-token kernels: rows × ntok dot products, each weight block decoded
// once for all tokens. Token t's activations start at x + t*xStride, its
// results at out + t*outStride (both strides in bytes).

//go:noescape
func dotRows4Q8_0SDOT(w, x *byte, xStride int, out *float32, outStride, rows, nb int)

//go:noescape
func dotRows4Q8_0NEON(w, x *byte, xStride int, out *float32, outStride, rows, nb int)

//go:noescape
func dotRows2Q4KSDOT(w, x *byte, xStride int, out *float32, outStride, rows, nb int)

//go:noescape
func dotRows2Q4KNEON(w, x *byte, xStride int, out *float32, outStride, rows, nb int)

//go:noescape
func dotRows2Q5KSDOT(w, x *byte, xStride int, out *float32, outStride, rows, nb int)

//go:noescape
func dotRows2Q5KNEON(w, x *byte, xStride int, out *float32, outStride, rows, nb int)

//go:noescape
func dotRows2Q6KSDOT(w, x *byte, xStride int, out *float32, outStride, rows, nb int)

//go:noescape
func dotRows2Q6KNEON(w, x *byte, xStride int, out *float32, outStride, rows, nb int)

type multiKernel func(w, x *byte, xStride int, out *float32, outStride, rows, nb int)

// fastKernelN returns the multi-token kernel for t and how many tokens it
// takes, if there is one.
func fastKernelN(t gguf.Type) (multiKernel, int) {
	if !useNEON || !useMultiToken {
		return nil, 0
	}
	sd := useSDOT
	pick := func(a, b multiKernel) multiKernel {
		if sd {
			return a
		}
		return b
	}
	switch t {
	case gguf.TypeQ8_0:
		return pick(dotRows4Q8_0SDOT, dotRows4Q8_0NEON), 4
	case gguf.TypeQ4_K:
		return pick(dotRows2Q4KSDOT, dotRows2Q4KNEON), 2
	case gguf.TypeQ5_K:
		return pick(dotRows2Q5KSDOT, dotRows2Q5KNEON), 2
	case gguf.TypeQ6_K:
		return pick(dotRows2Q6KSDOT, dotRows2Q6KNEON), 2
	}
	return nil, 0
}

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

// DotRowsFastN is DotRowsFast for ntok activation rows at once: for t <
// ntok and r < rows it sets out[t*outStride+r] to the dot product of weight
// row r with the activation row x[t*xStride:], bit-identical to
// quant.DotRows on each. Weight blocks are decoded once for several tokens
// where a multi-token kernel exists (prompt processing). It returns false,
// touching nothing, where DotRowsFast would.
func DotRowsFastN(t gguf.Type, n int, w []byte, rows int, x []byte, xStride, ntok int, out []float32, outStride int) bool {
	k, elems, wb, xb := fastKernel(t)
	if dotRowsF32TailN(k, t, n, w, rows, x, xStride, ntok, out, outStride) {
		return true
	}
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
	tok := 0
	if km, m := fastKernelN(t); km != nil {
		for ; tok+m <= ntok; tok += m {
			km(unsafe.SliceData(w), &x[tok*xStride], xStride, &out[tok*outStride], 4*outStride, rows, nb)
		}
	}
	for ; tok < ntok; tok++ {
		k(unsafe.SliceData(w), &x[tok*xStride], &out[tok*outStride], rows, nb)
	}
	return true
}
