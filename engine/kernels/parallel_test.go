package kernels

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// TestParallelForCoversOnce: every index of [0, n) is visited exactly once,
// in the chunks ParallelFor has always cut (n split evenly over
// min(GOMAXPROCS, ceil(n/grain)) workers), under GOMAXPROCS 1, 2 and 3.
func TestParallelForCoversOnce(t *testing.T) {
	for _, procs := range []int{1, 2, 3} {
		gemmWithProcs(procs, func() {
			for _, n := range []int{0, 1, 2, 3, 7, 100, 1001} {
				for _, grain := range []int{0, 1, 3, 64, 2000} {
					seen := make([]int32, n)
					var mu sync.Mutex
					var chunks [][2]int
					ParallelFor(n, grain, func(lo, hi int) {
						mu.Lock()
						chunks = append(chunks, [2]int{lo, hi})
						mu.Unlock()
						for i := lo; i < hi; i++ {
							atomic.AddInt32(&seen[i], 1)
						}
					})
					where := fmt.Sprintf("GOMAXPROCS=%d n=%d grain=%d", procs, n, grain)
					for i, s := range seen {
						if s != 1 {
							t.Fatalf("%s: index %d visited %d times", where, i, s)
						}
					}
					if n == 0 {
						continue
					}
					workers := min(procs, (n+max(grain, 1)-1)/max(grain, 1))
					size := (n + workers - 1) / workers
					if len(chunks) > workers {
						t.Fatalf("%s: %d chunks for %d workers", where, len(chunks), workers)
					}
					for _, c := range chunks {
						if c[0]%size != 0 || c[1] != min(c[0]+size, n) {
							t.Fatalf("%s: chunk %v, want [%d, min(%d+%d, n))", where, c, c[0], c[0], size)
						}
					}
				}
			}
		})
	}
}

// TestParallelForNested: a ParallelFor inside a ParallelFor body (all
// helpers busy) finishes, with every inner index visited once.
func TestParallelForNested(t *testing.T) {
	for _, procs := range []int{2, 3} {
		gemmWithProcs(procs, func() {
			const outer, inner = 8, 50
			var seen [outer * inner]int32
			ParallelFor(outer, 1, func(lo, hi int) {
				for o := lo; o < hi; o++ {
					ParallelFor(inner, 1, func(l, h int) {
						for i := l; i < h; i++ {
							atomic.AddInt32(&seen[o*inner+i], 1)
						}
					})
				}
			})
			for i, s := range seen {
				if s != 1 {
					t.Fatalf("GOMAXPROCS=%d: index %d visited %d times", procs, i, s)
				}
			}
		})
	}
}

// TestParallelForConcurrentCallers: ParallelFor called from many goroutines
// at once (the pool's jobs are reused) still visits every index once.
func TestParallelForConcurrentCallers(t *testing.T) {
	gemmWithProcs(2, func() {
		var wg sync.WaitGroup
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for rep := 0; rep < 200; rep++ {
					var sum atomic.Int64
					ParallelFor(64, 1, func(lo, hi int) {
						for i := lo; i < hi; i++ {
							sum.Add(int64(i))
						}
					})
					if got := sum.Load(); got != 64*63/2 {
						t.Errorf("sum %d, want %d", got, 64*63/2)
						return
					}
				}
			}()
		}
		wg.Wait()
	})
}

// TestParallelForUsesHelpers: with two or more workers, a chunk runs off the
// calling goroutine at least sometimes (the pool is alive), and a chunk
// body that blocks until both chunks started does not hang.
func TestParallelForUsesHelpers(t *testing.T) {
	if runtime.NumCPU() < 2 {
		t.Skip("one CPU")
	}
	gemmWithProcs(2, func() {
		for try := 0; try < 100; try++ {
			var started atomic.Int32
			var both atomic.Bool
			ParallelFor(2, 1, func(lo, hi int) {
				started.Add(1)
				for i := 0; i < 1e4 && started.Load() < 2; i++ {
					runtime.Gosched()
				}
				if started.Load() == 2 {
					both.Store(true)
				}
			})
			if both.Load() {
				return
			}
		}
		t.Fatal("the two chunks never ran at the same time in 100 tries")
	})
}
