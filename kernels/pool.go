package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Pool is a persistent set of worker goroutines that run data-parallel jobs.
// A job is split into chunks that workers claim with an atomic counter, so
// the caller never spawns goroutines per operation and the split of work
// does not change any result (each output element is computed by exactly
// one chunk, whatever the thread count).
//
// A Pool runs one job at a time; Run must not be called concurrently.
type Pool struct {
	threads int

	// current job
	fn      func(worker, chunk int)
	nChunks int64
	next    atomic.Int64
	pending atomic.Int64

	gen   atomic.Uint64 // bumped for every job
	mu    sync.Mutex
	cond  *sync.Cond
	done  chan struct{}
	quit  atomic.Bool
	sleep atomic.Int32 // workers blocked in cond.Wait
}

// spinBudget is how many times a worker polls for new work before sleeping.
const spinBudget = 20000

// NewPool starts a pool with the given total thread count (the caller of
// Run counts as one thread). threads <= 0 means runtime.NumCPU().
func NewPool(threads int) *Pool {
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	p := &Pool{threads: threads, done: make(chan struct{}, 1)}
	p.cond = sync.NewCond(&p.mu)
	for i := 1; i < threads; i++ {
		// Each worker starts from generation 0: a job posted before the
		// goroutine first runs must still be seen as new.
		go p.worker(i, 0)
	}
	return p
}

// Threads returns the total number of threads that run a job.
func (p *Pool) Threads() int { return p.threads }

// Close stops the workers. The pool must be idle.
func (p *Pool) Close() {
	p.quit.Store(true)
	p.mu.Lock()
	p.gen.Add(1)
	p.cond.Broadcast()
	p.mu.Unlock()
}

func (p *Pool) worker(id int, seen uint64) {
	runtime.LockOSThread()
	for {
		// Spin briefly: the next job usually follows within microseconds.
		spins := 0
		for p.gen.Load() == seen {
			spins++
			if spins < spinBudget {
				if spins&63 == 0 {
					runtime.Gosched()
				}
				continue
			}
			p.mu.Lock()
			p.sleep.Add(1)
			for p.gen.Load() == seen {
				p.cond.Wait()
			}
			p.sleep.Add(-1)
			p.mu.Unlock()
		}
		seen = p.gen.Load()
		if p.quit.Load() {
			return
		}
		p.work(id)
	}
}

func (p *Pool) work(id int) {
	fn := p.fn
	for {
		c := p.next.Add(1) - 1
		if c >= p.nChunks {
			break
		}
		fn(id, int(c))
	}
	if p.pending.Add(-1) == 0 {
		p.done <- struct{}{}
	}
}

// Run calls fn(worker, c) for every c in [0, nChunks), spread over the
// pool's threads, and returns when all calls have returned. worker, in
// [0, Threads()), identifies the calling thread, for per-thread scratch.
func (p *Pool) Run(nChunks int, fn func(worker, chunk int)) {
	if nChunks <= 0 {
		return
	}
	if p.threads == 1 || nChunks == 1 {
		for c := 0; c < nChunks; c++ {
			fn(0, c)
		}
		return
	}
	p.fn = fn
	p.nChunks = int64(nChunks)
	p.next.Store(0)
	p.pending.Store(int64(p.threads))
	p.gen.Add(1)
	if p.sleep.Load() > 0 {
		p.mu.Lock()
		p.cond.Broadcast()
		p.mu.Unlock()
	}
	p.work(0)
	<-p.done
	p.fn = nil
}
