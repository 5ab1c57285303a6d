package kernels

import (
	"sync/atomic"
	"testing"
)

// TestPoolRunsEveryChunkOnce posts jobs right after the pool starts (the
// workers may not have run yet) and many in a row, with and without work.
func TestPoolRunsEveryChunkOnce(t *testing.T) {
	for _, threads := range []int{1, 2, 3, 8} {
		for rep := 0; rep < 20; rep++ {
			p := NewPool(threads)
			for job := 0; job < 50; job++ {
				n := 1 + (job*7)%37
				var hits = make([]atomic.Int32, n)
				p.Run(n, func(w, c int) {
					if w < 0 || w >= threads {
						t.Errorf("worker id %d outside [0,%d)", w, threads)
					}
					hits[c].Add(1)
				})
				for c := range hits {
					if h := hits[c].Load(); h != 1 {
						t.Fatalf("threads %d job %d: chunk %d ran %d times", threads, job, c, h)
					}
				}
			}
			p.Close()
		}
	}
}
