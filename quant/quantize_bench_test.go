//go:build linux

package quant

import (
	"math"
	"math/rand/v2"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/hearthlm/hearth/gguf"
)

// gaussRows are rows of Gaussian weights at the spread of a real model's
// (standard deviation 1/sqrt(row length)).
func gaussRows(rows, cols int, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 7))
	v := make([]float32, rows*cols)
	s := 1 / math.Sqrt(float64(cols))
	for i := range v {
		v[i] = float32(r.NormFloat64() * s)
	}
	return v
}

// threadCPU is the CPU time the calling OS thread has used.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(1, &ru) // RUSAGE_THREAD
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkQuantizeRowRef: the weight quantizers hearth quantize runs, in
// MB/s of F16 input (2 bytes per weight) per second of wall time, and as
// MB per CPU-second of the benchmark's thread (MB/cpu-s), which a loaded
// machine disturbs less.
func BenchmarkQuantizeRowRef(b *testing.B) {
	const rows, cols = 64, 1024
	src := gaussRows(rows, cols, 1)
	for _, t := range []gguf.Type{gguf.TypeQ4_0, gguf.TypeQ8_0, gguf.TypeQ2_K, gguf.TypeQ3_K, gguf.TypeQ4_K, gguf.TypeQ5_K, gguf.TypeQ6_K} {
		b.Run(t.String(), func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			rb := RowBytes(t, cols)
			dst := make([]byte, rows*rb)
			b.SetBytes(rows * cols * 2)
			c0 := threadCPU()
			for b.Loop() {
				for r := 0; r < rows; r++ {
					if err := QuantizeRowRef(t, src[r*cols:(r+1)*cols], dst[r*rb:(r+1)*rb]); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.N)*rows*cols*2/1e6/(threadCPU()-c0).Seconds(), "MB/cpu-s")
		})
	}
}
