package kernels

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/hearthlm/hearth/gguf"
	"github.com/hearthlm/hearth/quant"
)

var repackTypes = []gguf.Type{gguf.TypeQ4_0, gguf.TypeQ4_K}

// repackActivations returns ntok prepared activation rows for n columns of
// weights of type t, xStride bytes apart, as MatMul makes them: random
// floats of varied scale quantized by quant.QuantizeRowRepack (gemm tokens)
// or quant.QuantizeRow (the others).
func repackActivations(rng *rand.Rand, t gguf.Type, n, ntok, gemmRows, xStride int) []byte {
	vt := quant.VecDotType(t)
	x := make([]byte, ntok*xStride)
	f := make([]float32, n)
	for tok := 0; tok < ntok; tok++ {
		scale := float32(math.Exp(rng.NormFloat64() * 2))
		for i := range f {
			f[i] = float32(rng.NormFloat64()) * scale
		}
		if rng.IntN(8) == 0 { // a row with exact zeros and a one-sided block
			for i := 0; i < n/2; i++ {
				f[i] = 0
			}
			for i := n / 2; i < n/2+32 && i < n; i++ {
				f[i] = float32(math.Abs(float64(f[i])))
			}
		}
		row := x[tok*xStride : tok*xStride+repackRowBytes(t, n)]
		quantize := quant.QuantizeRow
		if tok < gemmRows {
			quantize = quant.QuantizeRowRepack
		}
		if err := quantize(vt, f, row); err != nil {
			panic(err)
		}
		repackPrepare(t, n, row)
	}
	return x
}

// rawActivations is repackActivations with random int8 quants over the
// whole range (-128 included, which no quantizer writes), random block
// scales and, for Q8_K, random block sums of the magnitude real ones have;
// the kernels' integer bounds must hold for any of them.
func rawActivations(rng *rand.Rand, t gguf.Type, n, ntok, xStride int, extreme bool) []byte {
	x := make([]byte, ntok*xStride)
	q := func() byte {
		if extreme {
			return byte(0x80 | rng.IntN(2)*0xff) // -128 or 127
		}
		return byte(rng.Uint32())
	}
	for tok := 0; tok < ntok; tok++ {
		row := x[tok*xStride : tok*xStride+repackRowBytes(t, n)]
		switch t {
		case gguf.TypeQ4_0:
			for b := 0; b < n/32; b++ {
				blk := row[34*b : 34*b+34]
				binary.LittleEndian.PutUint16(blk, randHalf(rng, 1e-3, 1))
				for j := 2; j < 34; j++ {
					blk[j] = q()
				}
			}
		case gguf.TypeQ4_K:
			for b := 0; b < n/256; b++ {
				blk := row[292*b : 292*b+292]
				binary.LittleEndian.PutUint32(blk, math.Float32bits(float32(rng.NormFloat64())))
				for j := 4; j < 260; j++ {
					blk[j] = q()
				}
				for j := 0; j < 16; j++ {
					s := int16(rng.IntN(4097) - 2048)
					if extreme {
						s = int16(-2048 + 4095*rng.IntN(2))
					}
					binary.LittleEndian.PutUint16(blk[260+2*j:], uint16(s))
				}
			}
		}
		repackPrepare(t, n, row)
	}
	return x
}

// checkRepack runs RepackDotRowsN and compares every result with
// quant.RepackDotRows bit for bit, and the gaps between the outputs with the
// sentinel they were filled with (checkRowsOut).
func checkRepack(t *testing.T, typ gguf.Type, n int, w []byte, rows int, x []byte, xStride, ntok, gemmRows int, what string) {
	t.Helper()
	outStride := rows + 3
	out := sentinelOut(ntok, outStride)
	RepackDotRowsN(typ, n, w, rows, x, xStride, ntok, gemmRows, out, outStride)
	qrb := quant.RowBytes(quant.VecDotType(typ), n)
	checkRowsOut(t, out, rows, ntok, outStride, func(tok int, dst []float32) {
		quant.RepackDotRows(typ, n, w, rows, x[tok*xStride:tok*xStride+qrb], dst, tok < gemmRows)
	}, fmt.Sprintf("%s n=%d (gemm rows %d)", what, n, gemmRows))
}

func forRepackPaths(t *testing.T, f func(t *testing.T)) {
	for _, asm := range []bool{true, false} {
		name := map[bool]string{true: "asm", false: "go"}[asm]
		t.Run(name, func(t *testing.T) {
			defer func(u bool) { useRepackAsm = u }(useRepackAsm)
			useRepackAsm = asm
			f(t)
		})
	}
}

// TestRepackDotRowsN checks RepackDotRowsN (the assembly where this machine
// has it, and the Go path) against quant.RepackDotRows bit for bit over
// random valid weights, activations quantized as MatMul quantizes them,
// many row lengths, row counts and token counts (gemm and gemv tokens),
// padded strides and unaligned buffers.
func TestRepackDotRowsN(t *testing.T) {
	forRepackPaths(t, func(t *testing.T) {
		for _, typ := range repackTypes {
			t.Run(typ.String(), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(11, uint64(typ)))
				bs := typ.BlockSize()
				nbs := []int{1, 2, 3, 5, 8, 12}
				if typ == gguf.TypeQ4_0 {
					nbs = []int{1, 2, 3, 7, 8, 33, 96}
				}
				for _, nb := range nbs {
					n := nb * bs
					for _, rows := range []int{8, 16, 24, 40} {
						w := shifted(randWeights(rng, typ, n, rows), nb%5)
						for _, ntok := range []int{1, 2, 3, 4, 5, 7, 8, 9, 12, 16, 17} {
							// All gemm rows a product of ntok tokens has, and
							// fewer (a batch whose later rows are other
							// sequences' single tokens: gemv order, in fours).
							for gemmRows := quant.RepackGemmRows(ntok); gemmRows >= 0; gemmRows -= 4 {
								xStride := repackRowBytes(typ, n) + 4*(ntok%3)
								x := shifted(repackActivations(rng, typ, n, ntok, gemmRows, xStride), ntok%4)
								checkRepack(t, typ, n, w, rows, x, xStride, ntok, gemmRows, "quantized")
							}
						}
					}
				}
			})
		}
	})
}

// TestRepackDotRowsNRaw feeds the kernels activation blocks no quantizer
// writes (int8 -128, the largest magnitudes everywhere, together with
// all-15 weight nibbles and the largest 6-bit scales and mins) to check
// that their integer sums cannot overflow.
func TestRepackDotRowsNRaw(t *testing.T) {
	forRepackPaths(t, func(t *testing.T) {
		for _, typ := range repackTypes {
			t.Run(typ.String(), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(12, uint64(typ)))
				for iter := 0; iter < 40; iter++ {
					extreme := iter%2 == 1
					nb := 1 + rng.IntN(6)
					n := nb * typ.BlockSize()
					rows := 8 * (1 + rng.IntN(4))
					w := randWeights(rng, typ, n, rows)
					if extreme {
						maxWeights(typ, w, iter%4 == 1)
					}
					ntok := 1 + rng.IntN(9)
					gemmRows := 4 * rng.IntN(quant.RepackGemmRows(ntok)/4+1)
					xStride := repackRowBytes(typ, n)
					x := rawActivations(rng, typ, n, ntok, xStride, extreme)
					checkRepack(t, typ, n, w, rows, x, xStride, ntok, gemmRows, fmt.Sprintf("raw extreme=%v", extreme))
				}
			})
		}
	})
}

// maxWeights sets every quant nibble of w to 15 (or 0), and for Q4_K every
// 6-bit scale and min to 63.
func maxWeights(typ gguf.Type, w []byte, zero bool) {
	nib := byte(0xff)
	if zero {
		nib = 0
	}
	switch typ {
	case gguf.TypeQ4_0:
		for b := 0; b < len(w); b += 18 {
			for j := 2; j < 18; j++ {
				w[b+j] = nib
			}
		}
	case gguf.TypeQ4_K:
		for b := 0; b < len(w); b += 144 {
			for j := 4; j < 16; j++ {
				w[b+j] = 0xff
			}
			for j := 16; j < 144; j++ {
				w[b+j] = nib
			}
		}
	}
}

// TestRepackDotRowsNRandomShapes is a randomized sweep over shapes, strides
// and token counts, the assembly against quant.RepackDotRows.
func TestRepackDotRowsNRandomShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	iters := 300
	if testing.Short() {
		iters = 60
	}
	for iter := 0; iter < iters; iter++ {
		typ := repackTypes[rng.IntN(len(repackTypes))]
		nb := 1 + rng.IntN(16)
		n := nb * typ.BlockSize()
		rows := 8 * (1 + rng.IntN(8))
		ntok := 1 + rng.IntN(14)
		gemmRows := 4 * rng.IntN(quant.RepackGemmRows(ntok)/4+1)
		w := shifted(randWeights(rng, typ, n, rows), rng.IntN(32))
		xStride := repackRowBytes(typ, n) + rng.IntN(64)
		x := shifted(repackActivations(rng, typ, n, ntok, gemmRows, xStride), rng.IntN(32))
		checkRepack(t, typ, n, w, rows, x, xStride, ntok, gemmRows, fmt.Sprintf("iter %d %s", iter, typ))
	}
}

// TestRepackPrepare checks the Q4_0 aux words and the Q4_K sub-block sums
// against a direct computation from the quantized blocks.
func TestRepackPrepare(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	n := 96
	row := repackActivations(rng, gguf.TypeQ4_0, n, 1, 0, repackRowBytes(gguf.TypeQ4_0, n))
	if len(row) != 3*34+3*8 {
		t.Fatalf("prepared row of %d bytes, want %d", len(row), 3*34+3*8)
	}
	for b := 0; b < 3; b++ {
		blk := row[34*b : 34*b+34]
		sum := 0
		for _, v := range blk[2:] {
			sum += int(int8(v))
		}
		d := math.Float32frombits(binary.LittleEndian.Uint32(row[102+8*b:]))
		s := int32(binary.LittleEndian.Uint32(row[102+8*b+4:]))
		if d != quant.FP16ToFP32(binary.LittleEndian.Uint16(blk)) || int(s) != 8*sum {
			t.Fatalf("block %d: aux (%v, %d), want (%v, %d)", b, d, s, quant.FP16ToFP32(binary.LittleEndian.Uint16(blk)), 8*sum)
		}
	}
	// Q4_K: per super-block four vectors of eight (sum of sub-block 2p,
	// sum of sub-block 2p+1) int16 pairs, sums of the 32 quants.
	const nk = 512
	if got, want := repackRowBytes(gguf.TypeQ4_K, nk), quant.RowBytes(gguf.TypeQ8_K, nk)+2*128; got != want {
		t.Fatalf("Q4_K prepared row %d bytes, want %d", got, want)
	}
	for _, gemm := range []int{0, 1} {
		row := repackActivations(rng, gguf.TypeQ4_K, nk, 1, gemm, repackRowBytes(gguf.TypeQ4_K, nk))
		aux := row[2*292:]
		for b := 0; b < 2; b++ {
			for j := 0; j < 8; j++ {
				sum := 0
				for _, v := range row[292*b+4+32*j : 292*b+4+32*j+32] {
					sum += int(int8(v))
				}
				p, h := j/2, j%2
				for l := 0; l < 8; l++ {
					if got := int16(binary.LittleEndian.Uint16(aux[128*b+32*p+4*l+2*h:])); int(got) != sum {
						t.Fatalf("gemm=%d block %d sub-block %d, word %d: %d, want %d", gemm, b, j, l, got, sum)
					}
				}
			}
		}
	}
}

// TestRepackDotRowsNRefuses checks the panics on shapes ggml does not
// repack and on short buffers.
func TestRepackDotRowsNRefuses(t *testing.T) {
	w := make([]byte, 12*144)
	x := make([]byte, 292*4)
	out := make([]float32, 64)
	for _, c := range []struct {
		name string
		f    func()
	}{
		{"rows not a multiple of 8", func() { RepackDotRowsN(gguf.TypeQ4_K, 256, w, 12, x, 292, 1, 0, out, 12) }},
		{"type", func() { RepackDotRowsN(gguf.TypeQ6_K, 256, w, 8, x, 292, 1, 0, out, 8) }},
		{"gemm rows", func() { RepackDotRowsN(gguf.TypeQ4_K, 256, w, 8, x, 292, 4, 2, out, 8) }},
		{"short weights", func() { RepackDotRowsN(gguf.TypeQ4_K, 256, w[:7*144], 8, x, 292, 1, 0, out, 8) }},
		{"short activations", func() { RepackDotRowsN(gguf.TypeQ4_K, 256, w, 8, x[:3*292], 292, 4, 4, out, 8) }},
		{"short output", func() { RepackDotRowsN(gguf.TypeQ4_K, 256, w, 8, x, 292, 4, 4, out[:30], 8) }},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", c.name)
				}
			}()
			c.f()
		}()
	}
}

// repackBenchShapes are the Q4 weight shapes (rows×cols) of Qwen3-0.6B and
// Llama-3.2-1B's feed-forward layers.
var repackBenchShapes = []struct {
	name       string
	rows, cols int
}{
	{"qwen06b-1024x3072", 1024, 3072},
	{"qwen06b-3072x1024", 3072, 1024},
	{"llama1b-2048x8192", 2048, 8192},
	{"llama1b-8192x2048", 8192, 2048},
}

// BenchmarkRepackGemv measures one-token products (decode) of whole
// matrices, repacked order against the vec_dot-order kernels, as GB/s of
// weights read.
func BenchmarkRepackGemv(b *testing.B) {
	for _, typ := range repackTypes {
		for _, sh := range repackBenchShapes {
			rng := rand.New(rand.NewPCG(3, 4))
			w := randWeights(rng, typ, sh.cols, sh.rows)
			xStride := repackRowBytes(typ, sh.cols)
			x := repackActivations(rng, typ, sh.cols, 1, 0, xStride)
			out := make([]float32, sh.rows)
			b.Run(fmt.Sprintf("%s/%s/repack", typ, sh.name), func(b *testing.B) {
				b.SetBytes(int64(len(w)))
				for b.Loop() {
					RepackDotRowsN(typ, sh.cols, w, sh.rows, x, xStride, 1, 0, out, sh.rows)
				}
			})
			b.Run(fmt.Sprintf("%s/%s/vecdot", typ, sh.name), func(b *testing.B) {
				b.SetBytes(int64(len(w)))
				for b.Loop() {
					if !DotRowsFast(typ, sh.cols, w, sh.rows, x, out) {
						b.Skip("no vec_dot kernel")
					}
				}
			})
		}
	}
}

// BenchmarkRepackGemm measures prompt-style products the way MatMul runs
// them (chunks of rowsPerChunk rows, all tokens per chunk) for 64 tokens,
// repacked gemm order against the four-token vec_dot-order kernels where
// they exist, as GB/s of weights (counted once per token) and tokens per
// second through one matrix on one core.
func BenchmarkRepackGemm(b *testing.B) {
	const ntok = 64
	for _, typ := range repackTypes {
		for _, sh := range repackBenchShapes {
			rng := rand.New(rand.NewPCG(3, 4))
			w := randWeights(rng, typ, sh.cols, sh.rows)
			rb := quant.RowBytes(typ, sh.cols)
			xStride := repackRowBytes(typ, sh.cols)
			x := repackActivations(rng, typ, sh.cols, ntok, ntok, xStride)
			out := make([]float32, sh.rows*ntok)
			run := func(b *testing.B, f func(r0, r1 int)) {
				b.SetBytes(int64(len(w) * ntok))
				for b.Loop() {
					for r0 := 0; r0 < sh.rows; r0 += rowsPerChunk {
						f(r0, min(r0+rowsPerChunk, sh.rows))
					}
				}
				b.ReportMetric(float64(ntok*b.N)/b.Elapsed().Seconds(), "tok/s")
			}
			b.Run(fmt.Sprintf("%s/%s/repack", typ, sh.name), func(b *testing.B) {
				run(b, func(r0, r1 int) {
					RepackDotRowsN(typ, sh.cols, w[r0*rb:r1*rb], r1-r0, x, xStride, ntok, ntok, out[r0:], sh.rows)
				})
			})
			b.Run(fmt.Sprintf("%s/%s/vecdot", typ, sh.name), func(b *testing.B) {
				run(b, func(r0, r1 int) {
					if !DotRowsFastN(typ, sh.cols, w[r0*rb:r1*rb], r1-r0, x, xStride, ntok, out[r0:], sh.rows) {
						b.Skip("no vec_dot kernel")
					}
				})
			})
		}
	}
}
