//go:build amd64 && !purego

package kernels

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/cpu"

	"github.com/hearthlm/hearth/gguf"
)

// useAVX2 selects the AVX2 row-dot kernels. They need AVX2 for the integer
// work, FMA for the accumulation and F16C for the block scales. It is a
// variable so that tests can switch the kernels off.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA && cpu.X86.HasF16C

// useMultiToken selects the eight- and four-token kernels in DotRowsFastN
// (tests and benchmarks switch it off to compare).
var useMultiToken = true

// useQ8Tile selects the 2-row × 4-token Q8_0 kernel in DotRowsFastN
// (benchmarks switch it off to compare with the one-row kernel).
var useQ8Tile = true

// The kernels below compute out[r] = dot(row r of w, x) for r < rows, each
// row being nb blocks, in the order of ggml's AVX2 vec_dot for the type:
// 8-lane float accumulators updated with FMA once per block, the same
// horizontal sums at the end. Integer sums within a block are exact, so
// only the float steps have to follow ggml's order for the results to be
// identical. The pointers must cover rows*nb weight blocks, nb activation
// blocks and rows outputs; rows and nb must be at least 1.

//go:noescape
func dotRowsQ4KAVX2(w, x *byte, out *float32, rows, nb int)

//go:noescape
func dotRowsQ5KAVX2(w, x *byte, out *float32, rows, nb int)

//go:noescape
func dotRowsQ6KAVX2(w, x *byte, out *float32, rows, nb int)

//go:noescape
func dotRowsQ8_0AVX2(w, x *byte, out *float32, rows, nb int)

//go:noescape
func dotRowsQ4_0AVX2(w, x *byte, out *float32, rows, nb int)

// For F32, F16 and BF16, nb counts groups of 32 elements.

//go:noescape
func dotRowsF32AVX2(w, x *byte, out *float32, rows, nb int)

//go:noescape
func dotRowsF16AVX2(w, x *byte, out *float32, rows, nb int)

//go:noescape
func dotRowsBF16AVX2(w, x *byte, out *float32, rows, nb int)

// fastKernel returns the kernel for weight type t, the number of elements
// one of its steps covers, and the bytes of weights and activations per step.
func fastKernel(t gguf.Type) (k rowKernel, elems, wBytes, xBytes int) {
	if !useAVX2 {
		return nil, 0, 0, 0
	}
	switch t {
	case gguf.TypeQ4_K:
		return dotRowsQ4KAVX2, 256, 144, 292
	case gguf.TypeQ5_K:
		return dotRowsQ5KAVX2, 256, 176, 292
	case gguf.TypeQ6_K:
		return dotRowsQ6KAVX2, 256, 210, 292
	case gguf.TypeQ8_0:
		return dotRowsQ8_0AVX2, 32, 34, 34
	case gguf.TypeQ4_0:
		return dotRowsQ4_0AVX2, 32, 18, 34
	case gguf.TypeF32:
		return dotRowsF32AVX2, 32, 128, 128
	case gguf.TypeF16:
		return dotRowsF16AVX2, 32, 64, 64
	case gguf.TypeBF16:
		return dotRowsBF16AVX2, 32, 64, 64
	}
	return nil, 0, 0, 0
}

// Four-token kernels: rows × 4 dot products, each weight block decoded once.
// Token t's activations start at x + t*xStride, its results at
// out + t*outStride (both strides in bytes).

//go:noescape
func dotRows4Q4KAVX2(w, x *byte, xStride int, out *float32, outStride, rows, nb int)

//go:noescape
func dotRows4Q6KAVX2(w, x *byte, xStride int, out *float32, outStride, rows, nb int)

//go:noescape
func dotRows4Q8_0AVX2(w, x *byte, xStride int, out *float32, outStride, rows, nb int)

// dotRows2x4Q8_0AVX2 is dotRows4Q8_0AVX2 over pairs of rows (rowBytes
// apart): a 2-row × 4-token register tile sharing the loaded blocks, as
// tinyBLAS tiles Q8_0 products; each result takes the same steps.
//
//go:noescape
func dotRows2x4Q8_0AVX2(w *byte, rowBytes int, x *byte, xStride int, out *float32, outStride, pairs, nb int)

// dotRows8Q6KAVX2 is dotRows4Q6KAVX2 for eight tokens (batched decoding of
// eight sequences): each super-block is unpacked once for all eight, with
// the same steps per result.
//
//go:noescape
func dotRows8Q6KAVX2(w, x *byte, xStride int, out *float32, outStride, rows, nb int)

// dotRows8Q6KPadAVX2 is dotRows8Q6KAVX2 for activations in padded Q8_K
// blocks (padQ8KRow), x 32-byte aligned: no quant load splits a cache line.
//
//go:noescape
func dotRows8Q6KPadAVX2(w, x *byte, xStride int, out *float32, outStride, rows, nb int)

// padQ8K reports whether products with weights of type t take the
// activations of their groups of eight tokens in padded Q8_K blocks
// (dotRows8Padded) as well as in plain ones.
func padQ8K(t gguf.Type) bool { return t == gguf.TypeQ6_K && fastKernel8(t) != nil }

// dotRows8Padded is DotRowsFastN for ntok tokens (a multiple of eight) of
// weights for which padQ8K holds, with the activations in padded Q8_K rows
// xp[tok*xpStride:] (xp 32-byte aligned): bit-identical results.
func dotRows8Padded(t gguf.Type, n int, w []byte, rows int, xp []byte, xpStride, ntok int, out []float32, outStride int) {
	if rows <= 0 || ntok <= 0 {
		return
	}
	nb := n / 256
	if !padQ8K(t) || n%256 != 0 || ntok%8 != 0 || uintptr(unsafe.Pointer(unsafe.SliceData(xp)))%32 != 0 ||
		len(w) < rows*nb*210 || xpStride < nb*q8KPadBytes || xpStride%32 != 0 || len(xp) < (ntok-1)*xpStride+nb*q8KPadBytes ||
		outStride < rows || len(out) < (ntok-1)*outStride+rows {
		panic(fmt.Sprintf("kernels: dotRows8Padded: %s %d×%d, %d tokens: bad arguments", t, rows, n, ntok))
	}
	wp := unsafe.SliceData(w)
	for tok := 0; tok < ntok; tok += 8 {
		dotRows8Q6KPadAVX2(wp, &xp[tok*xpStride], xpStride, &out[tok*outStride], 4*outStride, rows, nb)
	}
}

// fastKernel8 returns the eight-token kernel for t, if there is one; the
// same conditions as fastKernel4.
func fastKernel8(t gguf.Type) func(w, x *byte, xStride int, out *float32, outStride, rows, nb int) {
	if !useAVX2 || !useMultiToken {
		return nil
	}
	if t == gguf.TypeQ6_K {
		return dotRows8Q6KAVX2
	}
	return nil
}

// fastKernel4 returns the four-token kernel for t, if there is one.
func fastKernel4(t gguf.Type) func(w, x *byte, xStride int, out *float32, outStride, rows, nb int) {
	if !useAVX2 || !useMultiToken {
		return nil
	}
	switch t {
	case gguf.TypeQ4_K:
		return dotRows4Q4KAVX2
	case gguf.TypeQ6_K:
		return dotRows4Q6KAVX2
	case gguf.TypeQ8_0:
		return dotRows4Q8_0AVX2
	}
	return nil
}

// DotRowsFastN is DotRowsFast for ntok activation rows at once: for t <
// ntok and r < rows it sets out[t*outStride+r] to the dot product of weight
// row r with the activation row x[t*xStride:], bit-identical to
// quant.DotRows on each. Weight blocks are decoded once for several tokens
// where a multi-token kernel exists (prompt processing, batched decoding):
// Q6_K in groups of eight tokens, then of four. It returns false,
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
	if k8 := fastKernel8(t); k8 != nil {
		wp := unsafe.SliceData(w)
		for ; tok+8 <= ntok; tok += 8 {
			k8(wp, &x[tok*xStride], xStride, &out[tok*outStride], 4*outStride, rows, nb)
		}
	}
	if k4 := fastKernel4(t); k4 != nil {
		wp := unsafe.SliceData(w)
		pairs := 0
		if t == gguf.TypeQ8_0 && useQ8Tile {
			pairs = rows / 2
		}
		for ; tok+4 <= ntok; tok += 4 {
			if pairs > 0 {
				dotRows2x4Q8_0AVX2(wp, nb*wb, &x[tok*xStride], xStride, &out[tok*outStride], 4*outStride, pairs, nb)
			}
			if r := 2 * pairs; r < rows {
				k4(&w[r*nb*wb], &x[tok*xStride], xStride, &out[tok*outStride+r], 4*outStride, rows-r, nb)
			}
		}
	}
	for ; tok < ntok; tok++ {
		k(unsafe.SliceData(w), &x[tok*xStride], &out[tok*outStride], rows, nb)
	}
	return true
}
