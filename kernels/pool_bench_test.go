package kernels

import (
	"sync/atomic"
	"testing"
	"time"
)

// countTask counts each chunk's runs.
type countTask struct{ hits []atomic.Int32 }

func (c *countTask) RunChunk(_, chunk int) { c.hits[chunk].Add(1) }

// TestPoolAfterSleep: jobs posted after the workers went to sleep still run
// every chunk once, with or without the sleepers joining in.
func TestPoolAfterSleep(t *testing.T) {
	p := NewPool(3)
	defer p.Close()
	task := &countTask{hits: make([]atomic.Int32, 64)}
	for rep := 0; rep < 5; rep++ {
		time.Sleep(2 * spinFor)
		for i := range task.hits {
			task.hits[i].Store(0)
		}
		p.RunTask(len(task.hits), task)
		for c := range task.hits {
			if h := task.hits[c].Load(); h != 1 {
				t.Fatalf("rep %d: chunk %d ran %d times", rep, c, h)
			}
		}
	}
}

// TestPoolRunTaskNoAlloc: a job with a reused Task allocates nothing.
func TestPoolRunTaskNoAlloc(t *testing.T) {
	p := NewPool(2)
	defer p.Close()
	task := &countTask{hits: make([]atomic.Int32, 16)}
	if a := testing.AllocsPerRun(1000, func() { p.RunTask(16, task) }); a != 0 {
		t.Fatalf("RunTask: %v allocs per job, want 0", a)
	}
}

type nopTask struct{}

func (nopTask) RunChunk(int, int) {}

// BenchmarkPoolJob measures the fixed cost of one job (post, claim, join)
// with empty chunks: the overhead added to every matmul of a decode step.
func BenchmarkPoolJob(b *testing.B) {
	for _, threads := range []int{1, 2} {
		b.Run(map[int]string{1: "1thread", 2: "2threads"}[threads], func(b *testing.B) {
			p := NewPool(threads)
			defer p.Close()
			b.ReportAllocs()
			for b.Loop() {
				p.RunTask(2*threads, nopTask{})
			}
		})
	}
}

// spinTask burns about d per chunk, to see whether two halves of a job
// overlap (ideal: one chunk's time per job with 2 threads).
type spinTask struct{ d time.Duration }

func (s spinTask) RunChunk(int, int) {
	for t0 := time.Now(); time.Since(t0) < s.d; {
	}
}

// BenchmarkPoolHalves runs jobs of two 20 µs chunks: with two threads a job
// should take ~20 µs plus the overhead, not 40.
func BenchmarkPoolHalves(b *testing.B) {
	p := NewPool(2)
	defer p.Close()
	for b.Loop() {
		p.RunTask(2, spinTask{20 * time.Microsecond})
	}
}
