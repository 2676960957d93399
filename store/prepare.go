package store

import (
	"runtime"
	"sync"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// prepareShare is the fewest upserts worth a goroutine of their own.
const prepareShare = 2048

// PrepareBatch encodes the upserts of recs with Prepare, outside any write transaction
// (deletions get a zero Prepared), splitting large batches among the processors. The
// encodings are carved from shared blocks, none reused.
func PrepareBatch(recs []*dirsyncv1.Record) ([]Prepared, error) {
	out := make([]Prepared, len(recs))
	workers := max(1, min(runtime.GOMAXPROCS(0), len(recs)/prepareShare))
	per := (len(recs) + workers - 1) / workers
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*per, min(len(recs), (w+1)*per)
		wg.Go(func() {
			var block []byte
			take := func(n int) []byte {
				if cap(block)-len(block) < n {
					block = make([]byte, 0, max(n, 64<<10))
				}
				start := len(block)
				block = block[:start+n]
				return block[start : start+n : start+n]
			}
			for i := lo; i < hi; i++ {
				if !recs[i].Deleted {
					if out[i], errs[w] = Prepare(recs[i], take); errs[w] != nil {
						return
					}
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
