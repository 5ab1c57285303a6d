//go:build amd64 && !purego

package kernels

import (
	"sync"
	"testing"
)

// BenchmarkStreamRead measures the streaming read bandwidth of 256 MiB with
// 1 and 2 threads (each reading its half), the ceiling for a decode step.
func BenchmarkStreamRead(b *testing.B) {
	buf := make([]byte, 256<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	for _, threads := range []int{1, 2} {
		b.Run(map[int]string{1: "1thread", 2: "2threads"}[threads], func(b *testing.B) {
			b.SetBytes(int64(len(buf)))
			part := len(buf) / threads
			for b.Loop() {
				var wg sync.WaitGroup
				for t := 0; t < threads; t++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						streamReadAVX2(&buf[t*part], part)
					}()
				}
				wg.Wait()
			}
		})
	}
}

func TestStreamRead(t *testing.T) {
	buf := make([]byte, 256)
	for i := range buf {
		buf[i] = 1
	}
	// 256 bytes of 1 = 32 uint64 lanes of 0x0101010101010101.
	if got, want := streamReadAVX2(&buf[0], 256), uint64(32*0x0101010101010101); got != want {
		t.Fatalf("streamReadAVX2 = %#x, want %#x", got, want)
	}
}
