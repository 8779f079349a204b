package kernels

import (
	"runtime"
	"sync"
)

// ParallelFor calls fn over [0, n) split into contiguous chunks of at least
// grain items, one chunk per worker, up to GOMAXPROCS workers. Callers must
// only split over independent outputs: which worker computes an item must not
// change its value.
func ParallelFor(n, grain int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	grain = max(grain, 1)
	workers := min(runtime.GOMAXPROCS(0), (n+grain-1)/grain)
	if workers <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	wg.Wait()
}
