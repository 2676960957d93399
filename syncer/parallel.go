package syncer

import (
	"runtime"
	"sync"
)

// parallel calls fn on contiguous parts [lo, hi) of n items, one part per processor, and
// returns the first error. The large steps of a run (effective groups, encoding for the
// diff) are independent per record, so they scale with the cores.
func parallel(n int, fn func(lo, hi int) error) error {
	workers := min(runtime.GOMAXPROCS(0), max(1, n/4096))
	if workers <= 1 {
		return fn(0, n)
	}
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() { errs[w] = fn(w*n/workers, (w+1)*n/workers) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
