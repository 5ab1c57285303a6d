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

// dotTypes are the weight types DotRowsFast may cover.
var dotTypes = []gguf.Type{
	gguf.TypeQ4_K, gguf.TypeQ6_K, gguf.TypeQ8_0, gguf.TypeQ4_0, gguf.TypeQ5_K,
	gguf.TypeF16, gguf.TypeBF16, gguf.TypeF32,
}

// randHalf returns a finite float16 in ±[lo, hi).
func randHalf(rng *rand.Rand, lo, hi float32) uint16 {
	v := lo + (hi-lo)*rng.Float32()
	if rng.IntN(2) == 0 {
		v = -v
	}
	return quant.FP32ToFP16(v)
}

// randWeights returns rows random valid rows of n elements of type t: random
// quant bits, finite scales of varied magnitude, int8 values in [-127, 127]
// as ggml's quantizers write them.
func randWeights(rng *rand.Rand, t gguf.Type, n, rows int) []byte {
	rb := quant.RowBytes(t, n)
	w := make([]byte, rb*rows)
	for i := range w {
		w[i] = byte(rng.Uint32())
	}
	put16 := func(b []byte, v uint16) { binary.LittleEndian.PutUint16(b, v) }
	switch t {
	case gguf.TypeF32:
		for i := 0; i < len(w); i += 4 {
			binary.LittleEndian.PutUint32(w[i:], math.Float32bits(float32(rng.NormFloat64())))
		}
	case gguf.TypeF16:
		for i := 0; i < len(w); i += 2 {
			put16(w[i:], quant.FP32ToFP16(float32(rng.NormFloat64())))
		}
	case gguf.TypeBF16:
		for i := 0; i < len(w); i += 2 {
			put16(w[i:], quant.FP32ToBF16(float32(rng.NormFloat64())))
		}
	case gguf.TypeQ8_0:
		for b := 0; b < len(w); b += 34 {
			put16(w[b:], randHalf(rng, 1e-4, 1e-1))
			for j := 2; j < 34; j++ {
				w[b+j] = byte(int8(rng.IntN(255) - 127))
			}
		}
	case gguf.TypeQ4_0:
		for b := 0; b < len(w); b += 18 {
			put16(w[b:], randHalf(rng, 1e-4, 1e-1))
		}
	case gguf.TypeQ4_K, gguf.TypeQ5_K:
		bs := t.TypeSize()
		for b := 0; b < len(w); b += bs {
			put16(w[b:], randHalf(rng, 1e-5, 1e-2))
			put16(w[b+2:], randHalf(rng, 1e-5, 1e-2))
		}
	case gguf.TypeQ6_K:
		for b := 0; b < len(w); b += 210 {
			put16(w[b+208:], randHalf(rng, 1e-5, 1e-2))
		}
	default:
		panic("randWeights: " + t.String())
	}
	return w
}

// randActivations returns n random activations quantized to the type ggml
// pairs with t, as MatMul does.
func randActivations(rng *rand.Rand, t gguf.Type, n int) []byte {
	f := make([]float32, n)
	scale := float32(math.Exp(rng.NormFloat64() * 2))
	for i := range f {
		f[i] = float32(rng.NormFloat64()) * scale
	}
	vt := quant.VecDotType(t)
	x := make([]byte, quant.RowBytes(vt, n))
	if err := quant.QuantizeRow(vt, f, x); err != nil {
		panic(err)
	}
	return x
}

// shifted copies b to offset off of a fresh buffer with guard bytes after it
// and returns the copy (so its address is unaligned by off).
func shifted(b []byte, off int) []byte {
	buf := make([]byte, off+len(b)+64)
	for i := range buf {
		buf[i] = 0xA5
	}
	copy(buf[off:], b)
	return buf[off : off+len(b) : off+len(b)]
}

// TestDotRowsFastMatchesGeneric checks every kernel this machine has against
// quant.DotRows, bit for bit, over random valid blocks, row lengths of 1 to
// 9 blocks (or 32-element groups), odd row counts and unaligned buffers,
// with guard values around the output.
func TestDotRowsFastMatchesGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const guard = 3
	sentinel := math.Float32frombits(0x7fc0dead)
	for _, typ := range dotTypes {
		t.Run(typ.String(), func(t *testing.T) {
			if k, _, _, _ := fastKernel(typ); k == nil {
				t.Skipf("no fast kernel for %s here", typ)
			}
			bs := typ.BlockSize()
			if bs == 1 {
				bs = 32
			}
			for _, nb := range []int{1, 2, 3, 7, 8, 9} {
				n := nb * bs
				for _, rows := range []int{1, 2, 3, 5, 16, 17} {
					for off := 0; off < 4; off++ {
						w := shifted(randWeights(rng, typ, n, rows), off)
						x := shifted(randActivations(rng, typ, n), (off*3)%8)
						want := make([]float32, rows)
						quant.DotRows(typ, n, w, rows, x, want)
						buf := make([]float32, rows+2*guard)
						for i := range buf {
							buf[i] = sentinel
						}
						got := buf[guard : guard+rows]
						if !DotRowsFast(typ, n, w, rows, x, got) {
							t.Fatalf("DotRowsFast refused n=%d", n)
						}
						for i := 0; i < guard; i++ {
							if math.Float32bits(buf[i]) != 0x7fc0dead || math.Float32bits(buf[guard+rows+i]) != 0x7fc0dead {
								t.Fatalf("n=%d rows=%d: output guard overwritten", n, rows)
							}
						}
						for r := range want {
							if math.Float32bits(got[r]) != math.Float32bits(want[r]) {
								t.Fatalf("n=%d rows=%d off=%d row %d: asm %v (%#x), generic %v (%#x)",
									n, rows, off, r, got[r], math.Float32bits(got[r]), want[r], math.Float32bits(want[r]))
							}
						}
					}
				}
			}
		})
	}
}

// TestDotRowsFastRefuses: lengths the kernels do not cover are left to the
// caller, and types without kernels report false.
func TestDotRowsFastRefuses(t *testing.T) {
	out := make([]float32, 1)
	if DotRowsFast(gguf.TypeQ2_K, 256, make([]byte, 84), 1, make([]byte, 292), out) {
		t.Error("Q2_K: DotRowsFast claimed a kernel")
	}
	if DotRowsFast(gguf.TypeF16, 40, make([]byte, 80), 1, make([]byte, 160), out) {
		t.Error("F16 n=40: DotRowsFast claimed a kernel")
	}
}

// TestDotRowsFastF32Tails: F32 rows longer than 32 but not a multiple of
// it (the demo model's 172-wide feed-forward) take the assembly for the
// lanes and ggml's leftover loop in Go; bit for bit quant.DotRows, one
// token and several.
func TestDotRowsFastF32Tails(t *testing.T) {
	if k, _, _, _ := fastKernel(gguf.TypeF32); k == nil {
		t.Skip("no F32 kernel here")
	}
	rng := rand.New(rand.NewPCG(41, 42))
	checkF32Tails(t, func(rows, n int) ([]byte, []byte) {
		var x []byte
		for tok := 0; tok < 3; tok++ {
			x = append(x, randActivations(rng, gguf.TypeF32, n)...)
		}
		return randWeights(rng, gguf.TypeF32, n, rows), x
	})
}

// checkF32Tails runs F32 row dots whose lengths are over 32 but not
// multiples of 32 through DotRowsFast (one token) and DotRowsFastN (two),
// with the weight rows and three activation rows gen makes, and checks
// every result bit for bit against quant.DotRows.
func checkF32Tails(t *testing.T, gen func(rows, n int) (w, x []byte)) {
	t.Helper()
	for _, n := range []int{33, 35, 36, 39, 40, 44, 47, 63, 65, 100, 172, 200} {
		for _, rows := range []int{1, 3, 8} {
			const ntok = 3
			w, x := gen(rows, n)
			want := make([]float32, ntok*rows)
			for tok := 0; tok < ntok; tok++ {
				quant.DotRows(gguf.TypeF32, n, w, rows, x[tok*4*n:], want[tok*rows:(tok+1)*rows])
			}
			got := make([]float32, ntok*rows)
			if !DotRowsFast(gguf.TypeF32, n, w, rows, x, got[:rows]) {
				t.Fatalf("n=%d: DotRowsFast refused", n)
			}
			if !DotRowsFastN(gguf.TypeF32, n, w, rows, x[4*n:], 4*n, ntok-1, got[rows:], rows) {
				t.Fatalf("n=%d: DotRowsFastN refused", n)
			}
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("n=%d rows=%d: out[%d] = %v, want %v", n, rows, i, got[i], want[i])
				}
			}
		}
	}
}

// BenchmarkDotRows streams a weight matrix larger than the caches through
// one thread's DotRowsFast (or quant.DotRows where there is none) and
// reports GB/s of weight bytes read.
func BenchmarkDotRows(b *testing.B) { benchDotRows(b, 256<<20) }

// BenchmarkDotRowsCached does the same over 256 KiB of weights that stay in
// the L2 cache: the kernels' arithmetic speed, the bound for prefill.
func BenchmarkDotRowsCached(b *testing.B) { benchDotRows(b, 256<<10) }

func benchDotRows(b *testing.B, total int) {
	const n = 4096
	for _, typ := range dotTypes {
		b.Run(typ.String(), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(3, 4))
			rb := quant.RowBytes(typ, n)
			rows := total / rb
			w := randWeights(rng, typ, n, 64)
			big := make([]byte, rb*rows)
			for i := 0; i < len(big); i += len(w) {
				copy(big[i:], w)
			}
			x := randActivations(rng, typ, n)
			out := make([]float32, rows)
			b.SetBytes(int64(len(big)))
			b.ResetTimer()
			for b.Loop() {
				for r := 0; r < rows; r += 64 {
					m := min(64, rows-r)
					wb := big[r*rb : (r+m)*rb]
					if !DotRowsFast(typ, n, wb, m, x, out[r:r+m]) {
						quant.DotRows(typ, n, wb, m, x, out[r:r+m])
					}
				}
			}
		})
	}
}

func ExampleDotRowsFast() {
	w := make([]byte, 34) // one Q8_0 row of 32 zeros
	x := make([]byte, 34)
	out := make([]float32, 1)
	ok := DotRowsFast(gguf.TypeQ8_0, 32, w, 1, x, out)
	fmt.Println(out[0], ok || !ok)
	// Output: 0 true
}

// TestDotRowsFastNMatchesGeneric checks the multi-token entry point (and the
// four-token kernels behind it) against quant.DotRows token by token, bit
// for bit; the gaps between output rows must stay untouched.
func TestDotRowsFastNMatchesGeneric(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, typ := range dotTypes {
		t.Run(typ.String(), func(t *testing.T) {
			if k, _, _, _ := fastKernel(typ); k == nil {
				t.Skipf("no fast kernel for %s here", typ)
			}
			bs := typ.BlockSize()
			if bs == 1 {
				bs = 32
			}
			vt := quant.VecDotType(typ)
			for _, nb := range []int{1, 3, 8} {
				n := nb * bs
				xrb := quant.RowBytes(vt, n)
				for _, rows := range []int{1, 5, 16} {
					for _, ntok := range []int{1, 3, 4, 5, 8, 9} {
						w := shifted(randWeights(rng, typ, n, rows), ntok%4)
						xStride := xrb + 8*(ntok%3)
						x := make([]byte, 0, ntok*xStride)
						for tok := 0; tok < ntok; tok++ {
							x = append(x, randActivations(rng, typ, n)...)
							x = append(x, make([]byte, xStride-xrb)...)
						}
						checkDotRowsN(t, typ, n, w, rows, shifted(x, 1), xStride, xrb, ntok, rows+2, "")
					}
				}
			}
		})
	}
}

// BenchmarkDotRowsN measures prompt-style work: 64 rows of n=4096 weights
// (in cache) against 64 tokens, as GB/s of weight bytes processed (each
// weight byte counted once per token).
func BenchmarkDotRowsN(b *testing.B) {
	const n, rows, ntok = 4096, 64, 64
	for _, bc := range []struct {
		typ   gguf.Type
		multi bool
	}{{gguf.TypeQ4_K, true}, {gguf.TypeQ4_K, false}, {gguf.TypeQ6_K, true}, {gguf.TypeQ6_K, false},
		{gguf.TypeQ8_0, true}, {gguf.TypeQ8_0, false}} {
		typ := bc.typ
		name := typ.String() + map[bool]string{true: "/4tok", false: "/1tok"}[bc.multi]
		b.Run(name, func(b *testing.B) {
			defer func(m bool) { useMultiToken = m }(useMultiToken)
			useMultiToken = bc.multi
			w, x, xStride := benchRows(typ, n, rows, ntok)
			out := make([]float32, rows*ntok)
			b.SetBytes(int64(len(w) * ntok))
			for b.Loop() {
				if !DotRowsFastN(typ, n, w, rows, x, xStride, ntok, out, rows) {
					for tok := 0; tok < ntok; tok++ {
						quant.DotRows(typ, n, w, rows, x[tok*xStride:(tok+1)*xStride], out[tok*rows:(tok+1)*rows])
					}
				}
			}
		})
	}
}

// q6kExtremeWeights returns rows Q6_K rows whose quants are all 63 and
// whose scales are all -128 (the largest products), with d = 1e-3.
func q6kExtremeWeights(n, rows int) []byte {
	w := make([]byte, quant.RowBytes(gguf.TypeQ6_K, n)*rows)
	for b := 0; b < len(w); b += 210 {
		for i := 0; i < 192; i++ {
			w[b+i] = 0xff
		}
		for i := 192; i < 208; i++ {
			w[b+i] = 0x80
		}
		binary.LittleEndian.PutUint16(w[b+208:], quant.FP32ToFP16(1e-3))
	}
	return w
}

// q8kExtremeActivations returns a Q8_K row of n values all -128 (with
// matching block sums), d = 0.5.
func q8kExtremeActivations(n int) []byte {
	x := make([]byte, quant.RowBytes(gguf.TypeQ8_K, n))
	bsum := int16(-128 * 16)
	for b := 0; b < len(x); b += 292 {
		binary.LittleEndian.PutUint32(x[b:], math.Float32bits(0.5))
		for i := 4; i < 260; i++ {
			x[b+i] = 0x80
		}
		for j := 0; j < 16; j++ {
			binary.LittleEndian.PutUint16(x[b+260+2*j:], uint16(bsum))
		}
	}
	return x
}

// TestDotRowsFastNQ6KBatches covers the eight-token Q6_K kernel (and the
// four- and one-token kernels after it) in DotRowsFastN: token counts of 8
// to 17, row lengths up to 4096, random and extreme blocks (all quants 63,
// scales -128, activations -128), bit for bit against quant.DotRows.
func TestDotRowsFastNQ6KBatches(t *testing.T) {
	const typ = gguf.TypeQ6_K
	if k, _, _, _ := fastKernel(typ); k == nil {
		t.Skip("no fast kernel for Q6_K here")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for _, extreme := range []bool{false, true} {
		for _, n := range []int{256, 512, 1024, 4352} {
			xrb := quant.RowBytes(gguf.TypeQ8_K, n)
			for _, rows := range []int{1, 3, 8, 17} {
				for _, ntok := range []int{8, 9, 12, 13, 16, 17} {
					xStride := xrb + 4*(ntok%3)
					w, x := q6kBatchInputs(rng, extreme, n, rows, ntok, xStride)
					checkDotRowsN(t, typ, n, shifted(w, ntok%4), rows, shifted(x, 3), xStride, xrb, ntok, rows+1, fmt.Sprintf("extreme=%v ", extreme))
				}
			}
		}
	}
}

// q6kBatchInputs returns rows×n Q6_K weights and ntok Q8_K activation
// rows xStride bytes apart: random, or with extreme set the extreme blocks
// (all quants 63, scales -128) and every other activation row all -128.
func q6kBatchInputs(rng *rand.Rand, extreme bool, n, rows, ntok, xStride int) (w, x []byte) {
	if extreme {
		w = q6kExtremeWeights(n, rows)
	} else {
		w = randWeights(rng, gguf.TypeQ6_K, n, rows)
	}
	x = make([]byte, ntok*xStride)
	for tok := 0; tok < ntok; tok++ {
		if extreme && tok%2 == 0 {
			copy(x[tok*xStride:], q8kExtremeActivations(n))
		} else {
			copy(x[tok*xStride:], randActivations(rng, gguf.TypeQ6_K, n))
		}
	}
	return w, x
}

// gapSentinel marks the output floats between rows that the checks expect
// left alone (a NaN no kernel produces).
const gapSentinel = 0x7fc0beef

// sentinelOut returns ntok rows of outStride floats filled with
// gapSentinel.
func sentinelOut(ntok, outStride int) []float32 {
	out := make([]float32, ntok*outStride)
	for i := range out {
		out[i] = math.Float32frombits(gapSentinel)
	}
	return out
}

// checkRowsOut compares out (ntok rows of outStride floats, rows results
// each) bit for bit with want(tok, dst), which fills dst (rows floats)
// with token tok's reference results, and checks that the gaps after the
// results still hold gapSentinel.
func checkRowsOut(t *testing.T, out []float32, rows, ntok, outStride int, want func(tok int, dst []float32), what string) {
	t.Helper()
	ref := make([]float32, rows)
	for tok := 0; tok < ntok; tok++ {
		want(tok, ref)
		for r := 0; r < outStride; r++ {
			g := math.Float32bits(out[tok*outStride+r])
			if r >= rows {
				if g != gapSentinel {
					t.Fatalf("%s rows=%d ntok=%d: gap %d of token %d overwritten", what, rows, ntok, r, tok)
				}
				continue
			}
			if g != math.Float32bits(ref[r]) {
				t.Fatalf("%s rows=%d ntok=%d token %d row %d: got %v (%#08x), want %v (%#08x)",
					what, rows, ntok, tok, r, out[tok*outStride+r], g, ref[r], math.Float32bits(ref[r]))
			}
		}
	}
}

// checkDotRowsN runs DotRowsFastN over ntok activation rows (xrb bytes
// each, xStride apart) into rows of outStride floats, and checks every
// result bit for bit against quant.DotRows per token and that the gaps
// between output rows are left alone.
func checkDotRowsN(t *testing.T, typ gguf.Type, n int, w []byte, rows int, x []byte, xStride, xrb, ntok, outStride int, what string) {
	t.Helper()
	out := sentinelOut(ntok, outStride)
	if !DotRowsFastN(typ, n, w, rows, x, xStride, ntok, out, outStride) {
		t.Fatalf("DotRowsFastN refused n=%d", n)
	}
	checkRowsOut(t, out, rows, ntok, outStride, func(tok int, dst []float32) {
		quant.DotRows(typ, n, w, rows, x[tok*xStride:tok*xStride+xrb], dst)
	}, fmt.Sprintf("%sn=%d", what, n))
}

// benchRows returns the same random rows×n weights of type typ and ntok
// activation rows (xStride bytes apart) for every benchmark run.
func benchRows(typ gguf.Type, n, rows, ntok int) (w, x []byte, xStride int) {
	rng := rand.New(rand.NewPCG(3, 4))
	w = randWeights(rng, typ, n, rows)
	for tok := 0; tok < ntok; tok++ {
		x = append(x, randActivations(rng, typ, n)...)
	}
	return w, x, len(x) / ntok
}

// BenchmarkDotRows8 compares one pass of DotRowsFastN over eight tokens
// (the eight-token kernel where there is one) with two passes over four
// (the four-token kernel), and the eight-token kernel on padded activation
// rows (split 0, as MatMul runs it): 256 rows in cache, as GB/s of weight
// bytes times tokens.
func BenchmarkDotRows8(b *testing.B) {
	const rows, ntok = 256, 8
	typ := gguf.TypeQ6_K
	for _, n := range []int{1024, 4096} {
		for _, split := range []int{8, 4, 0} {
			name := fmt.Sprintf("%s/n=%d/%dtok", typ, n, split)
			if split == 0 {
				if !padQ8K(typ) {
					continue
				}
				name = fmt.Sprintf("%s/n=%d/8tok-padded", typ, n)
			}
			b.Run(name, func(b *testing.B) {
				w, x, xStride := benchRows(typ, n, rows, ntok)
				out := make([]float32, rows*ntok)
				b.SetBytes(int64(len(w) * ntok))
				if split == 0 {
					xpStride := n / 256 * q8KPadBytes
					var buf []byte
					xp := alignedBytes(&buf, ntok*xpStride)
					for tok := 0; tok < ntok; tok++ {
						padQ8KRow(xp[tok*xpStride:], x[tok*xStride:(tok+1)*xStride])
					}
					for b.Loop() {
						dotRows8Padded(typ, n, w, rows, xp, xpStride, ntok, out, rows)
					}
					return
				}
				for b.Loop() {
					for tok := 0; tok < ntok; tok += split {
						if !DotRowsFastN(typ, n, w, rows, x[tok*xStride:], xStride, split, out[tok*rows:], rows) {
							for t := tok; t < tok+split; t++ {
								quant.DotRows(typ, n, w, rows, x[t*xStride:(t+1)*xStride], out[t*rows:(t+1)*rows])
							}
						}
					}
				}
			})
		}
	}
}
