package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Task is a data-parallel job for Pool.RunTask: RunChunk(worker, c) is
// called once for every chunk c, from the pool's threads; worker, in
// [0, Threads()), identifies the calling thread for per-thread scratch.
// A pointer to a struct kept across calls makes a job without allocating.
type Task interface {
	RunChunk(worker, chunk int)
}

// funcTask adapts a func to Task; the conversion does not allocate.
type funcTask func(worker, chunk int)

func (f funcTask) RunChunk(worker, chunk int) { f(worker, chunk) }

// Pool is a persistent set of OS-locked worker threads that run
// data-parallel jobs. A job is split into chunks that threads claim with an
// atomic counter, so no goroutine is started per operation, and the split
// never changes a result: each chunk is computed by exactly one thread,
// whatever the thread count.
//
// Between jobs a worker spins on an atomic for spinFor, then sleeps on a
// condition variable; a job never waits for a sleeping worker (the caller
// and the awake workers take its chunks, a worker that wakes late joins
// what is left or nothing).
//
// A Pool runs one job at a time; Run and RunTask must not be called
// concurrently.
type Pool struct {
	threads int

	// Written by the caller while the job is closed (no worker inside),
	// read by workers that entered the job.
	task    Task
	nChunks int64

	_    [64]byte
	next atomic.Int64 // next chunk to claim
	_    [56]byte
	// state is gen<<32 | open<<31 | active: the job generation, whether
	// workers may still enter it, and how many are inside.
	state atomic.Uint64
	_     [56]byte

	sleepers atomic.Int32
	mu       sync.Mutex
	cond     *sync.Cond
	quit     atomic.Bool
}

const (
	stateOpen   = 1 << 31
	stateActive = stateOpen - 1
)

// spinFor is how long an idle worker polls for the next job before it
// sleeps: long enough to bridge the gaps between the matmuls of a decode
// step and between steps, short enough not to burn a core when idle.
// Between a server's steps the gap holds the sampling of every sequence
// and the delivery of their tokens, often longer than 200 µs with several
// streams; a worker that slept there must be woken and then wait for a
// processor that the server's goroutines hold (up to a scheduler time
// slice), while the caller runs the step's first products alone. At
// 200 µs that cost a single stream a fifth of its tokens/s in
// BenchmarkStreams8.
const spinFor = 3 * time.Millisecond

// NewPool starts a pool with the given total thread count (the caller of
// Run counts as one thread). threads <= 0 means runtime.NumCPU().
func NewPool(threads int) *Pool {
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	p := &Pool{threads: threads}
	p.cond = sync.NewCond(&p.mu)
	for i := 1; i < threads; i++ {
		go p.worker(i)
	}
	return p
}

// Threads returns the total number of threads that run a job.
func (p *Pool) Threads() int { return p.threads }

// Close stops the workers. The pool must be idle.
func (p *Pool) Close() {
	p.quit.Store(true)
	p.mu.Lock()
	p.state.Add(1 << 32)
	p.cond.Broadcast()
	p.mu.Unlock()
}

func (p *Pool) worker(id int) {
	runtime.LockOSThread()
	seen := uint64(0) // generation 0 is no job
	for {
		s := p.state.Load()
		if s>>32 == seen {
			s = p.wait(seen)
		}
		seen = s >> 32
		if p.quit.Load() {
			return
		}
		if p.enter(seen) {
			p.work(id)
			p.state.Add(^uint64(0)) // active--
		}
	}
}

// wait returns the state once its generation differs from seen: spinning
// first, then sleeping.
func (p *Pool) wait(seen uint64) uint64 {
	start := time.Now()
	for i := 1; ; i++ {
		s := p.state.Load()
		if s>>32 != seen {
			return s
		}
		cpuRelax()
		if i&255 == 0 && time.Since(start) > spinFor {
			break
		}
	}
	p.mu.Lock()
	p.sleepers.Add(1)
	s := p.state.Load()
	for s>>32 == seen {
		p.cond.Wait()
		s = p.state.Load()
	}
	p.sleepers.Add(-1)
	p.mu.Unlock()
	return s
}

// enter joins job gen if it is still open.
func (p *Pool) enter(gen uint64) bool {
	for {
		s := p.state.Load()
		if s>>32 != gen || s&stateOpen == 0 {
			return false
		}
		if p.state.CompareAndSwap(s, s+1) {
			return true
		}
	}
}

func (p *Pool) work(id int) {
	t, n := p.task, p.nChunks
	for {
		c := p.next.Add(1) - 1
		if c >= n {
			return
		}
		t.RunChunk(id, int(c))
	}
}

// Run calls fn(worker, c) for every c in [0, nChunks), spread over the
// pool's threads, and returns when all calls have returned. worker, in
// [0, Threads()), identifies the calling thread, for per-thread scratch.
// A closure that captures variables is allocated on each call; RunTask
// with a reused Task avoids that.
func (p *Pool) Run(nChunks int, fn func(worker, chunk int)) {
	p.RunTask(nChunks, funcTask(fn))
}

// RunTask calls t.RunChunk(worker, c) for every c in [0, nChunks), as Run.
// It does not allocate.
func (p *Pool) RunTask(nChunks int, t Task) {
	if nChunks <= 0 {
		return
	}
	if p.threads == 1 || nChunks == 1 {
		for c := 0; c < nChunks; c++ {
			t.RunChunk(0, c)
		}
		return
	}
	p.task, p.nChunks = t, int64(nChunks)
	p.next.Store(0)
	gen := p.state.Load()>>32 + 1
	p.state.Store(gen<<32 | stateOpen)
	if p.sleepers.Load() > 0 {
		p.mu.Lock()
		p.cond.Broadcast()
		p.mu.Unlock()
	}
	p.work(0)
	// All chunks are claimed; wait for the workers inside to finish theirs,
	// then close the job so that none enters it late.
	for i := 1; ; i++ {
		s := p.state.Load()
		if s&stateActive == 0 && p.state.CompareAndSwap(s, s&^stateOpen) {
			break
		}
		cpuRelax()
		if i&1023 == 0 {
			runtime.Gosched()
		}
	}
	p.task = nil
}
