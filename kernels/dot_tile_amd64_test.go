//go:build amd64 && !purego

package kernels

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"syscall"
	"testing"

	"github.com/hearthlm/hearth/gguf"
	"github.com/hearthlm/hearth/quant"
)

// threadCPU returns the calling thread's CPU time in seconds (user and
// system), which a loaded machine disturbs less than wall time.
func threadCPU() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(1, &ru) // RUSAGE_THREAD
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// cpuLoop runs f b.N times on a locked thread and reports the CPU-time
// rates: GB/s of bytes per call and tok/s of toks per call.
func cpuLoop(b *testing.B, bytes, toks int, f func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c0 := threadCPU()
	for b.Loop() {
		f()
	}
	cpu := threadCPU() - c0
	b.ReportMetric(float64(bytes)*float64(b.N)/cpu/1e9, "cpuGB/s")
	if toks > 0 {
		b.ReportMetric(float64(toks)*float64(b.N)/cpu, "cpu-tok/s")
	}
}

// tileBenchShapes are Qwen3-0.6B's and Llama-3.2-1B's feed-forward shapes.
var tileBenchShapes = []struct {
	name       string
	rows, cols int
}{
	{"qwen06b-3072x1024", 3072, 1024},
	{"qwen06b-1024x3072", 1024, 3072},
	{"llama1b-8192x2048", 8192, 2048},
}

// BenchmarkGemmTile runs 64-token products the way MatMul does (chunks of
// rowsPerChunk rows, all tokens per chunk) with the 2×4 Q8_0 tile and the
// one-row four-token kernel, and the Q6_K/Q4_K four-token kernels, on
// thread CPU time.
func BenchmarkGemmTile(b *testing.B) {
	const ntok = 64
	for _, typ := range []gguf.Type{gguf.TypeQ8_0, gguf.TypeQ6_K, gguf.TypeQ4_K} {
		for _, sh := range tileBenchShapes {
			rng := rand.New(rand.NewPCG(3, 4))
			w := randWeights(rng, typ, sh.cols, sh.rows)
			rb := quant.RowBytes(typ, sh.cols)
			var x []byte
			for tok := 0; tok < ntok; tok++ {
				x = append(x, randActivations(rng, typ, sh.cols)...)
			}
			xStride := len(x) / ntok
			out := make([]float32, sh.rows*ntok)
			for _, tile := range []bool{true, false} {
				if typ != gguf.TypeQ8_0 && !tile {
					continue
				}
				name := fmt.Sprintf("%s/%s/%s", typ, sh.name, map[bool]string{true: "tile", false: "row"}[tile])
				b.Run(name, func(b *testing.B) {
					defer func(v bool) { useQ8Tile = v }(useQ8Tile)
					useQ8Tile = tile
					cpuLoop(b, len(w)*ntok, ntok, func() {
						for r0 := 0; r0 < sh.rows; r0 += rowsPerChunk {
							r1 := min(r0+rowsPerChunk, sh.rows)
							DotRowsFastN(typ, sh.cols, w[r0*rb:r1*rb], r1-r0, x, xStride, ntok, out[r0:], sh.rows)
						}
					})
				})
			}
		}
	}
}

// BenchmarkGemv streams each type's weights for one token through
// DotRowsFast in chunks of rowsPerChunk rows, every other chunk as one of
// two threads takes them in decode, over a matrix larger than the caches:
// GB/s of the weights read on thread CPU time.
func BenchmarkGemv(b *testing.B) {
	for _, typ := range []gguf.Type{gguf.TypeQ8_0, gguf.TypeQ6_K, gguf.TypeQ4_K} {
		for _, cols := range []int{1024, 3072} {
			rng := rand.New(rand.NewPCG(3, 4))
			rb := quant.RowBytes(typ, cols)
			rows := (64 << 20) / rb / rowsPerChunk * rowsPerChunk
			w := randWeights(rng, typ, cols, 64)
			big := make([]byte, rb*rows)
			for i := 0; i < len(big); i += len(w) {
				copy(big[i:], w)
			}
			x := randActivations(rng, typ, cols)
			out := make([]float32, rows)
			b.Run(fmt.Sprintf("%s/cols%d", typ, cols), func(b *testing.B) {
				cpuLoop(b, len(big)/2, 0, func() {
					for r0 := 0; r0 < rows; r0 += 2 * rowsPerChunk {
						DotRowsFast(typ, cols, big[r0*rb:(r0+rowsPerChunk)*rb], rowsPerChunk, x, out[r0:r0+rowsPerChunk])
					}
				})
			})
		}
	}
}

// decodeMatrices returns copies of one random rows×cols matrix of type
// typ (more bytes than the caches hold, so that products stream them from
// memory), that matrix's bytes and ntok random activation rows.
func decodeMatrices(b *testing.B, typ gguf.Type, rows, cols, copies, ntok int) ([]*Matrix, []byte, []float32) {
	rng := rand.New(rand.NewPCG(3, 4))
	var ms []*Matrix
	one := randWeights(rng, typ, cols, rows)
	for i := 0; i < copies; i++ {
		m, err := NewMatrix("w", typ, rows, cols, append([]byte(nil), one...))
		if err != nil {
			b.Fatal(err)
		}
		ms = append(ms, m)
	}
	x := make([]float32, cols*ntok)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return ms, one, x
}

// BenchmarkMatMulDecode runs one-token products of Qwen3-0.6B-shaped
// matrices (more of them than the caches hold) through a pool, with
// guided decode chunks of at most decodeChunkMaxBytes, fixed chunks of
// decodeChunkMinBytes and of rowsPerChunk rows, as GB/s of
// weights on the calling thread's CPU time (one thread: the chunks' own
// cost) and on wall time (two threads).
func BenchmarkMatMulDecode(b *testing.B) {
	for _, typ := range []gguf.Type{gguf.TypeQ4_K, gguf.TypeQ6_K, gguf.TypeQ8_0} {
		const rows, cols, copies = 3072, 1024, 24
		ms, one, x := decodeMatrices(b, typ, rows, cols, copies, 1)
		out := make([]float32, rows)
		for _, threads := range []int{1, 2} {
			for _, chunk := range []int{decodeChunkMaxBytes, decodeChunkMinBytes, 0} {
				name := fmt.Sprintf("%s/threads%d/chunk%dK", typ, threads, chunk>>10)
				b.Run(name, func(b *testing.B) {
					defer func(v int) { decodeChunk = v }(decodeChunk)
					decodeChunk = chunk
					p := NewPool(threads)
					defer p.Close()
					var ws Workspace
					cpuLoop(b, len(one)*copies, 0, func() {
						for _, m := range ms {
							p.MatMul(&ws, m, x, 1, out)
						}
					})
					b.ReportMetric(float64(len(one)*copies)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
				})
			}
		}
	}
}

// BenchmarkMatMulBatch8 runs products of eight single tokens (eight
// decoding sequences) over Qwen3-0.6B-shaped matrices (more than the
// caches hold) on two threads, as G multiply-adds per second (weights ×
// tokens) on wall time; for Q4_K also with two passes of the four-token
// gemv-order kernel instead of the eight-token one ("4+4").
func BenchmarkMatMulBatch8(b *testing.B) {
	for _, typ := range []gguf.Type{gguf.TypeQ4_K, gguf.TypeQ6_K, gguf.TypeQ8_0} {
		const rows, cols, copies, ntok = 3072, 1024, 24, 8
		ms, _, x := decodeMatrices(b, typ, rows, cols, copies, ntok)
		out := make([]float32, rows*ntok)
		for _, k8 := range []bool{true, false} {
			name := typ.String()
			if !k8 {
				if typ != gguf.TypeQ4_K {
					continue
				}
				name += "/4+4"
			}
			b.Run(name, func(b *testing.B) {
				defer func(v bool) { useGemv8 = v }(useGemv8)
				useGemv8 = k8
				p := NewPool(2)
				defer p.Close()
				var ws Workspace
				for b.Loop() {
					for _, m := range ms {
						p.MatMulRows(&ws, m, x, ntok, BatchRows{}, out)
					}
				}
				b.ReportMetric(float64(rows*cols*copies*ntok)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
			})
		}
	}
}
