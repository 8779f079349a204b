package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// ParallelFor calls fn over [0, n) split into contiguous chunks of at least
// grain items, one chunk per worker, up to GOMAXPROCS workers. Callers must
// only split over independent outputs: which worker computes an item must not
// change its value.
//
// The chunks are cut from n, grain and GOMAXPROCS alone; the calling
// goroutine and idle goroutines of a persistent pool claim them. A chunk no
// helper is free to take runs on the calling goroutine, so nested calls
// cannot deadlock. Helpers poll for about 50µs after each job before they
// park, so that back-to-back calls find them awake.
func ParallelFor(n, grain int, fn func(lo, hi int)) {
	parallelRun(n, grain, gemmFunc(fn))
}

// gemmTask is work split into chunks by parallelRun.
type gemmTask interface {
	run(lo, hi int)
}

// gemmFunc adapts a ParallelFor body to gemmTask (a func value converts to
// an interface without allocating).
type gemmFunc func(lo, hi int)

func (f gemmFunc) run(lo, hi int) { f(lo, hi) }

// gemmPoolJob is one parallelRun call as the pool sees it. Jobs are reused,
// and a helper may still hold a job it was handed after its call ended, so
// every claim goes through state, one atomic word holding the call's
// generation, its number of chunks and the next chunk to claim: a claim
// succeeds only for the current call and a chunk that exists, and the
// fields are read only after a successful claim (and are not rewritten
// before every claimed chunk is done).
type gemmPoolJob struct {
	task     gemmTask
	n, chunk int
	state    atomic.Uint64 // generation<<32 | chunks<<16 | next chunk
	done     sync.WaitGroup
}

const gemmPoolMaxChunks = 1<<16 - 1

// work claims and runs chunks until none are left.
func (j *gemmPoolJob) work() {
	for {
		s := j.state.Load()
		c, cnt := int(s&0xffff), int(s>>16&0xffff)
		if c >= cnt {
			return
		}
		if !j.state.CompareAndSwap(s, s+1) {
			continue
		}
		lo := c * j.chunk
		j.task.run(lo, min(lo+j.chunk, j.n))
		j.done.Done()
	}
}

var (
	// gemmPoolCh hands jobs to idle helpers. It is unbuffered and only sent
	// to without blocking, so a job reaches a helper only if one is waiting.
	gemmPoolCh      = make(chan *gemmPoolJob)
	gemmPoolHelpers atomic.Int32
	gemmPoolJobs    gemmFreeList[gemmPoolJob]

	// gemmPoolSlot offers a job to a helper still spinning after its last
	// one (gemmPoolSpinners counts them): on a virtual machine, waking a
	// parked thread on an idle core can take tens of microseconds, which
	// back-to-back parallel calls would otherwise pay every time.
	gemmPoolSlot     atomic.Pointer[gemmPoolJob]
	gemmPoolSpinners atomic.Int32
)

// gemmPoolSpin is how long a helper polls for the next job, yielding its
// processor between polls, before it parks.
const gemmPoolSpin = 50 * time.Microsecond

func gemmPoolHelper() {
	for {
		var j *gemmPoolJob
		gemmPoolSpinners.Add(1)
		deadline := time.Now().Add(gemmPoolSpin)
		for i := 0; ; i++ {
			if p := gemmPoolSlot.Load(); p != nil && gemmPoolSlot.CompareAndSwap(p, nil) {
				j = p
				break
			}
			if i%16 == 15 && time.Now().After(deadline) {
				break
			}
			runtime.Gosched()
		}
		gemmPoolSpinners.Add(-1)
		if j == nil {
			j = <-gemmPoolCh
		}
		j.work()
	}
}

// parallelRun is ParallelFor for a gemmTask.
func parallelRun(n, grain int, t gemmTask) {
	if n <= 0 {
		return
	}
	grain = max(grain, 1)
	workers := min(runtime.GOMAXPROCS(0), (n+grain-1)/grain, gemmPoolMaxChunks)
	if workers <= 1 {
		t.run(0, n)
		return
	}
	for {
		h := gemmPoolHelpers.Load()
		if int(h) >= workers-1 {
			break
		}
		if gemmPoolHelpers.CompareAndSwap(h, h+1) {
			go gemmPoolHelper()
		}
	}
	j := gemmPoolJobs.get()
	j.task, j.n = t, n
	j.chunk = (n + workers - 1) / workers
	cnt := (n + j.chunk - 1) / j.chunk
	j.done.Add(cnt)
	gen := j.state.Load()>>32 + 1
	j.state.Store(gen<<32 | uint64(cnt)<<16)
	// Offer the job to a spinning helper, and wake up to cnt-1 parked ones
	// in all; chunks nobody takes run here.
	i := 1
	if gemmPoolSpinners.Load() > 0 && gemmPoolSlot.CompareAndSwap(nil, j) {
		i++
	}
	for ; i < cnt; i++ {
		select {
		case gemmPoolCh <- j:
			continue
		default:
		}
		break
	}
	j.work()
	gemmPoolSlot.CompareAndSwap(j, nil)
	j.done.Wait()
	j.task = nil
	gemmPoolJobs.put(j)
}

// gemmFreeList is a free list of reusable values that, unlike sync.Pool, the
// garbage collector does not empty.
type gemmFreeList[T any] struct {
	mu   sync.Mutex
	free []*T
}

func (l *gemmFreeList[T]) get() *T {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := len(l.free); n > 0 {
		v := l.free[n-1]
		l.free = l.free[:n-1]
		return v
	}
	return new(T)
}

func (l *gemmFreeList[T]) put(v *T) {
	l.mu.Lock()
	l.free = append(l.free, v)
	l.mu.Unlock()
}

// parallelJob is ParallelFor for a job struct whose run method is the loop
// body, which saves the allocation of a closure per call: ParallelFor's
// function escapes (the pool's helpers hold it), whereas job is copied
// into a value from pool, so that a caller's struct literal stays on its
// stack. The pooled copy is cleared before it goes back, so that it holds
// no slices of the caller's.
func parallelJob[T any, P interface {
	*T
	gemmTask
}](pool *gemmFreeList[T], n, grain int, job *T) {
	j := pool.get()
	*j = *job
	parallelRun(n, grain, P(j))
	var zero T
	*j = zero
	pool.put(j)
}

// scratch is a worker's temporary buffer, kept in a free list across calls
// (getScratch, putScratch) so that kernels which need per-chunk sums or
// rows allocate nothing in steady state.
type scratch[T float32 | float64] struct{ buf []T }

var (
	scratch32 gemmFreeList[scratch[float32]]
	scratch64 gemmFreeList[scratch[float64]]
)

// getScratch returns a buffer of n values from l, zeroed; give it back
// with putScratch when done.
func getScratch[T float32 | float64](l *gemmFreeList[scratch[T]], n int) *scratch[T] {
	s := l.get()
	if cap(s.buf) < n {
		s.buf = make([]T, n)
	}
	s.buf = s.buf[:n]
	clear(s.buf)
	return s
}

// putScratch gives s back to l.
func putScratch[T float32 | float64](l *gemmFreeList[scratch[T]], s *scratch[T]) { l.put(s) }

// Task is a loop body for ParallelTask: a method rather than a closure, so
// that a caller can pass a pointer to a struct it keeps anyway (a node of
// an autograd tape) and allocate nothing per call.
type Task interface {
	Run(lo, hi int)
}

// ParallelTask is ParallelFor for a Task given as a pointer p: it calls
// p.Run over [0, n) in the same chunks. p must stay unchanged until
// ParallelTask returns; the pool's helpers may still hold it afterwards,
// but never call it.
func ParallelTask[P Task](n, grain int, p P) {
	parallelRun(n, grain, taskOf[P]{p})
}

// taskOf adapts a Task to gemmTask. It holds one pointer, so it converts
// to an interface without allocating.
type taskOf[P Task] struct{ p P }

func (t taskOf[P]) run(lo, hi int) { t.p.Run(lo, hi) }

// Clear sets every element of dst to 0, in parallel chunks of at least
// 1<<16 elements.
//
// It is not inlined: inlined into another package, its job literal was
// found to escape (the generic parallelJob's escape summary does not reach
// that package), which cost an allocation per call.
//
//go:noinline
func Clear(dst []float32) {
	parallelJob(&clearJobs, len(dst), 1<<16, &clearJob{dst: dst})
}

type clearJob struct{ dst []float32 }

var clearJobs gemmFreeList[clearJob]

func (j *clearJob) run(lo, hi int) { clear(j.dst[lo:hi]) }
