//go:build arm64 && !purego

package kernels

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"golang.org/x/sys/cpu"

	"github.com/hearthlm/hearth/gguf"
	"github.com/hearthlm/hearth/quant"
)

// The NEON kernels (dot_arm64.s) against the Go references, bit for bit,
// with both the dotprod (SDOT) and the plain ASIMD variants where the CPU
// has dotprod. Run on an amd64 machine with qemu-user:
//
//	GOARCH=arm64 go test -exec 'qemu-aarch64 -cpu max' ./kernels
//	GOARCH=arm64 go test -exec 'qemu-aarch64 -cpu cortex-a53' ./kernels  (no dotprod)

// neonTypes are the weight types with NEON row-dot kernels.
var neonTypes = []gguf.Type{gguf.TypeQ8_0, gguf.TypeQ4_0, gguf.TypeQ4_K, gguf.TypeQ5_K, gguf.TypeQ6_K}

// forEachVariant runs f with useSDOT set to each value this CPU supports.
func forEachVariant(t *testing.T, f func(t *testing.T)) {
	defer func(s bool) { useSDOT = s }(useSDOT)
	for _, sd := range []bool{true, false} {
		if sd && !cpu.ARM64.HasASIMDDP {
			continue
		}
		useSDOT = sd
		t.Run(map[bool]string{true: "sdot", false: "asimd"}[sd], f)
	}
}

// extremeHalves are block scales the tests draw from: zero, subnormal,
// normal and the largest finite halves, both signs (never Inf or NaN).
var extremeHalves = []uint16{0x0000, 0x8000, 0x0001, 0x83ff, 0x0400, 0x3c00, 0xbc00, 0x2e66, 0x7bff, 0xfbff}

func pickHalf(rng *rand.Rand) uint16 {
	if rng.IntN(2) == 0 {
		return randHalf(rng, 1e-4, 1e-1)
	}
	return extremeHalves[rng.IntN(len(extremeHalves))]
}

// Fill modes of the quant bytes of a block.
const (
	fillRandom = iota // valid random blocks (randWeights / randActivations)
	fillMax           // every quant at its largest value
	fillMin           // every quant at its smallest value
	fillBytes         // every byte random (int8 -128 included), extreme scales
	numFills
)

// extremeWeights returns rows rows of n elements of type t filled as mode
// says, with scales from pickHalf except in fillRandom.
func extremeWeights(rng *rand.Rand, t gguf.Type, n, rows, mode int) []byte {
	if mode == fillRandom {
		return randWeights(rng, t, n, rows)
	}
	rb := quant.RowBytes(t, n)
	w := make([]byte, rb*rows)
	for i := range w {
		switch mode {
		case fillMax:
			w[i] = 0xff
		case fillMin:
			w[i] = 0
		default:
			w[i] = byte(rng.Uint32())
		}
	}
	bs := t.TypeSize()
	for b := 0; b < len(w); b += bs {
		blk := w[b : b+bs]
		switch t {
		case gguf.TypeQ8_0:
			if mode != fillBytes {
				for j := 2; j < 34; j++ {
					blk[j] = map[int]byte{fillMax: 0x7f, fillMin: 0x80}[mode]
				}
			}
			binary.LittleEndian.PutUint16(blk, pickHalf(rng))
		case gguf.TypeQ4_0:
			binary.LittleEndian.PutUint16(blk, pickHalf(rng))
		case gguf.TypeQ4_K, gguf.TypeQ5_K:
			binary.LittleEndian.PutUint16(blk, pickHalf(rng))
			binary.LittleEndian.PutUint16(blk[2:], pickHalf(rng))
		case gguf.TypeQ6_K:
			if mode != fillBytes {
				for j := 192; j < 208; j++ {
					blk[j] = map[int]byte{fillMax: 0x7f, fillMin: 0x80}[mode]
				}
			}
			binary.LittleEndian.PutUint16(blk[208:], pickHalf(rng))
		}
	}
	return w
}

// extremeActivations returns one activation row of n elements for weights
// of type t (Q8_0 or Q8_K blocks) filled as mode says. Q8_K block sums are
// always those of the block's quants, as every quantizer writes them.
func extremeActivations(rng *rand.Rand, t gguf.Type, n, mode int) []byte {
	if mode == fillRandom {
		return randActivations(rng, t, n)
	}
	vt := quant.VecDotType(t)
	x := make([]byte, quant.RowBytes(vt, n))
	q := func() byte {
		switch mode {
		case fillMax:
			return 0x7f
		case fillMin:
			return 0x80
		}
		return byte(rng.Uint32())
	}
	switch vt {
	case gguf.TypeQ8_0:
		for b := 0; b < len(x); b += 34 {
			binary.LittleEndian.PutUint16(x[b:], pickHalf(rng))
			for j := 2; j < 34; j++ {
				x[b+j] = q()
			}
		}
	case gguf.TypeQ8_K:
		ds := []float32{0, 1e-30, 1e-3, 0.37, 1, -2.5, 1e3}
		for b := 0; b < len(x); b += 292 {
			binary.LittleEndian.PutUint32(x[b:], math.Float32bits(ds[rng.IntN(len(ds))]))
			for j := 0; j < 256; j++ {
				x[b+4+j] = q()
			}
			for g := 0; g < 16; g++ {
				var s int16
				for _, v := range x[b+4+16*g : b+4+16*g+16] {
					s += int16(int8(v))
				}
				binary.LittleEndian.PutUint16(x[b+260+2*g:], uint16(s))
			}
		}
	default:
		panic("extremeActivations: " + vt.String())
	}
	return x
}

func sameBits(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) }

// TestNEONDotRowsExtremes sweeps the row-dot kernels over random shapes
// (block counts and row counts that are not multiples of anything),
// unaligned buffers and the fill modes, against quant.DotRows.
func TestNEONDotRowsExtremes(t *testing.T) {
	if !useNEON {
		t.Skip("no NEON")
	}
	forEachVariant(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(7, 11))
		for _, typ := range neonTypes {
			bs := typ.BlockSize()
			for iter := 0; iter < 250; iter++ {
				mode := iter % numFills
				nb := 1 + rng.IntN(9)
				rows := 1 + rng.IntN(13)
				n := nb * bs
				w := shifted(extremeWeights(rng, typ, n, rows, mode), rng.IntN(8))
				x := shifted(extremeActivations(rng, typ, n, mode), rng.IntN(8))
				want := make([]float32, rows)
				quant.DotRows(typ, n, w, rows, x, want)
				got := make([]float32, rows+1)
				got[rows] = 12345
				if !DotRowsFast(typ, n, w, rows, x, got[:rows]) {
					t.Fatalf("%s: DotRowsFast refused n=%d", typ, n)
				}
				if got[rows] != 12345 {
					t.Fatalf("%s n=%d rows=%d: wrote past the output", typ, n, rows)
				}
				for r := range want {
					if !sameBits(got[r], want[r]) {
						t.Fatalf("%s mode %d n=%d rows=%d row %d: asm %v (%#x), Go %v (%#x)",
							typ, mode, n, rows, r, got[r], math.Float32bits(got[r]), want[r], math.Float32bits(want[r]))
					}
				}
			}
		}
	})
}

// TestNEONDotRowsFastN checks the multi-token entry point with padded
// strides against quant.DotRows per token.
func TestNEONDotRowsFastN(t *testing.T) {
	if !useNEON {
		t.Skip("no NEON")
	}
	forEachVariant(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 6))
		for _, typ := range neonTypes {
			for iter := 0; iter < 40; iter++ {
				mode := iter % numFills
				n := (1 + rng.IntN(4)) * typ.BlockSize()
				rows, ntok := 1+rng.IntN(9), 1+rng.IntN(6)
				w := extremeWeights(rng, typ, n, rows, mode)
				xrb := quant.RowBytes(quant.VecDotType(typ), n)
				xStride, outStride := xrb+rng.IntN(5), rows+rng.IntN(3)
				x := make([]byte, (ntok-1)*xStride+xrb)
				for tok := 0; tok < ntok; tok++ {
					copy(x[tok*xStride:], extremeActivations(rng, typ, n, mode))
				}
				out := make([]float32, (ntok-1)*outStride+rows)
				if !DotRowsFastN(typ, n, w, rows, x, xStride, ntok, out, outStride) {
					t.Fatalf("%s: DotRowsFastN refused", typ)
				}
				want := make([]float32, rows)
				for tok := 0; tok < ntok; tok++ {
					quant.DotRows(typ, n, w, rows, x[tok*xStride:tok*xStride+xrb], want)
					for r := range want {
						if g := out[tok*outStride+r]; !sameBits(g, want[r]) {
							t.Fatalf("%s n=%d tok %d row %d: asm %v, Go %v", typ, n, tok, r, g, want[r])
						}
					}
				}
			}
		}
	})
}

// TestNEONRepackExtremes sweeps RepackDotRowsN's kernels (Q4_0, and Q4_K
// in gemm and gemv order) over random shapes and the fill modes against
// quant.RepackDotRows.
func TestNEONRepackExtremes(t *testing.T) {
	if !useNEON || !useRepackAsm {
		t.Skip("no NEON")
	}
	forEachVariant(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(9, 10))
		for _, typ := range []gguf.Type{gguf.TypeQ4_0, gguf.TypeQ4_K} {
			for iter := 0; iter < 120; iter++ {
				mode := iter % numFills
				n := (1 + rng.IntN(5)) * 256
				if typ == gguf.TypeQ4_0 {
					n = (1 + rng.IntN(20)) * 32
				}
				rows := 8 * (1 + rng.IntN(3))
				ntok := 1 + rng.IntN(9)
				gemmRows := quant.RepackGemmRows(ntok)
				w := shifted(extremeWeights(rng, typ, n, rows, mode), rng.IntN(8))
				xrb, qrb := repackRowBytes(typ, n), quant.RowBytes(quant.VecDotType(typ), n)
				xStride := xrb + rng.IntN(4)
				x := make([]byte, (ntok-1)*xStride+xrb)
				for tok := 0; tok < ntok; tok++ {
					row := x[tok*xStride : tok*xStride+xrb]
					copy(row, extremeActivations(rng, typ, n, mode))
					repackPrepare(typ, n, row)
				}
				outStride := rows + rng.IntN(3)
				out := make([]float32, (ntok-1)*outStride+rows)
				RepackDotRowsN(typ, n, w, rows, x, xStride, ntok, gemmRows, out, outStride)
				want := make([]float32, rows)
				for tok := 0; tok < ntok; tok++ {
					quant.RepackDotRows(typ, n, w, rows, x[tok*xStride:tok*xStride+qrb], want, tok < gemmRows)
					for r := range want {
						if g := out[tok*outStride+r]; !sameBits(g, want[r]) {
							t.Fatalf("%s mode %d n=%d rows=%d tok %d (gemm %v) row %d: asm %v (%#x), Go %v (%#x)",
								typ, mode, n, rows, tok, tok < gemmRows, r, g, math.Float32bits(g), want[r], math.Float32bits(want[r]))
						}
					}
				}
			}
		}
	})
}

// BenchmarkNEONDotRows reports GB/s of weights for the NEON kernels: 64
// rows of 4096 columns against one token (and, for Q4_0/Q4_K, the repacked
// order; F32/F16/BF16 have one variant, named asimd). Under qemu-user the numbers mean nothing; run it on arm64
// hardware.
func BenchmarkNEONDotRows(b *testing.B) {
	const n, rows = 4096, 64
	floats := []gguf.Type{gguf.TypeF32, gguf.TypeF16, gguf.TypeBF16}
	for _, typ := range append(neonTypes[:len(neonTypes):len(neonTypes)], floats...) {
		for _, sd := range []bool{true, false} {
			if sd && (!cpu.ARM64.HasASIMDDP || slices.Contains(floats, typ)) {
				continue // no dotprod, or a float type (one variant)
			}
			name := fmt.Sprintf("%s/%s", typ, map[bool]string{true: "sdot", false: "asimd"}[sd])
			b.Run(name, func(b *testing.B) {
				defer func(s bool) { useSDOT = s }(useSDOT)
				useSDOT = sd
				rng := rand.New(rand.NewPCG(1, 2))
				w := randWeights(rng, typ, n, rows)
				x := randActivations(rng, typ, n)
				out := make([]float32, rows)
				b.SetBytes(int64(len(w)))
				for b.Loop() {
					DotRowsFast(typ, n, w, rows, x, out)
				}
			})
			if typ != gguf.TypeQ4_0 && typ != gguf.TypeQ4_K {
				continue
			}
			b.Run(name+"/repack", func(b *testing.B) {
				defer func(s bool) { useSDOT = s }(useSDOT)
				useSDOT = sd
				rng := rand.New(rand.NewPCG(1, 2))
				w := randWeights(rng, typ, n, rows)
				x := make([]byte, repackRowBytes(typ, n))
				copy(x, randActivations(rng, typ, n))
				repackPrepare(typ, n, x)
				out := make([]float32, rows)
				b.SetBytes(int64(len(w)))
				for b.Loop() {
					RepackDotRowsN(typ, n, w, rows, x, len(x), 1, 0, out, rows)
				}
			})
		}
	}
}

// extremeFloatRow returns n elements of type t (F32, F16 or BF16) with
// magnitudes spread over many binades (cancellation makes any change of
// summation order visible), zeros and, for F16, subnormals.
func extremeFloatRow(rng *rand.Rand, t gguf.Type, n int) []byte {
	b := make([]byte, quant.RowBytes(t, n))
	for i := 0; i < n; i++ {
		v := float32(rng.NormFloat64() * math.Exp(rng.NormFloat64()*3))
		if rng.IntN(10) == 0 {
			v = 0
		}
		switch t {
		case gguf.TypeF32:
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		case gguf.TypeF16:
			h := quant.FP32ToFP16(v)
			if rng.IntN(8) == 0 {
				h = uint16(rng.IntN(0x400)) | uint16(rng.IntN(2))<<15
			}
			binary.LittleEndian.PutUint16(b[2*i:], h)
		case gguf.TypeBF16:
			binary.LittleEndian.PutUint16(b[2*i:], quant.FP32ToBF16(v))
		}
	}
	return b
}

// TestNEONFloatRows checks the F32/F16/BF16 kernels, vec_dot order
// (DotRowsFast) and tinyBLAS order (TinyDotRowsFast), against quant.
func TestNEONFloatRows(t *testing.T) {
	if !useNEON {
		t.Skip("no NEON")
	}
	rng := rand.New(rand.NewPCG(12, 13))
	for _, typ := range []gguf.Type{gguf.TypeF32, gguf.TypeF16, gguf.TypeBF16} {
		for iter := 0; iter < 80; iter++ {
			n := 8 * (1 + rng.IntN(40))
			rows := 4 * (1 + rng.IntN(4))
			if iter%2 == 0 {
				n = 32 * (1 + rng.IntN(10))
				rows = 1 + rng.IntN(9)
			}
			var w []byte
			for r := 0; r < rows; r++ {
				w = append(w, extremeFloatRow(rng, typ, n)...)
			}
			w = shifted(w, rng.IntN(8))
			x := shifted(extremeFloatRow(rng, typ, n), rng.IntN(8))
			got, want := make([]float32, rows), make([]float32, rows)
			if n%32 == 0 {
				quant.DotRows(typ, n, w, rows, x, want)
				if !DotRowsFast(typ, n, w, rows, x, got) {
					t.Fatalf("%s: DotRowsFast refused n=%d", typ, n)
				}
				for r := range want {
					if !sameBits(got[r], want[r]) {
						t.Fatalf("%s vec_dot n=%d row %d: asm %v, Go %v", typ, n, r, got[r], want[r])
					}
				}
			}
			if rows%4 == 0 {
				quant.TinyDotRows(typ, n, w, rows, x, want)
				if !TinyDotRowsFast(typ, n, w, rows, x, got) {
					t.Fatalf("%s: TinyDotRowsFast refused n=%d rows=%d", typ, n, rows)
				}
				for r := range want {
					if !sameBits(got[r], want[r]) {
						t.Fatalf("%s tinyBLAS n=%d row %d: asm %v, Go %v", typ, n, r, got[r], want[r])
					}
				}
			}
		}
	}
}

// TestNEONF32Tails: F32 rows over 32 elements but not a multiple of 32 take
// the NEON lanes and ggml's leftover loop in Go; bit for bit quant.DotRows,
// through DotRowsFast and DotRowsFastN.
func TestNEONF32Tails(t *testing.T) {
	if !useNEON {
		t.Skip("no NEON")
	}
	rng := rand.New(rand.NewPCG(41, 43))
	checkF32Tails(t, func(rows, n int) ([]byte, []byte) {
		var w, x []byte
		for r := 0; r < rows; r++ {
			w = append(w, extremeFloatRow(rng, gguf.TypeF32, n)...)
		}
		for tok := 0; tok < 3; tok++ {
			x = append(x, extremeFloatRow(rng, gguf.TypeF32, n)...)
		}
		return w, x
	})
}
