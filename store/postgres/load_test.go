package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dirsync/dirsync/store"
	"github.com/dirsync/dirsync/store/postgres"
)

// load is writers applying batches of new keys while the database misbehaves. A failed
// Apply is retried until it succeeds, as a syncer re-runs a failed sync; an Apply that
// failed but committed would then write its keys twice, which check catches.
type load struct {
	writers, batches, size int
	// until, when set, keeps each writer going after its batches until it is closed.
	until    <-chan struct{}
	written  atomic.Int64 // batches committed
	failures atomic.Int64 // Apply calls that returned an error
	unknown  atomic.Int64 // of which ErrCommitUnknown
}

// total is the number of changes written.
func (l *load) total() int { return int(l.written.Load()) * l.size }

// more reports whether a writer that has written b batches goes on.
func (l *load) more(b int) bool {
	if b < l.batches || l.until == nil {
		return b < l.batches
	}
	select {
	case <-l.until:
		return false
	default:
		return true
	}
}

// run applies the load through s, and tails the change log through tail, checking that it
// never shows a gap. It returns when every batch has committed, or fails t after a minute.
func (l *load) run(t *testing.T, s, tail *postgres.Store) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	errs := make(chan error, l.writers+1)
	var wg sync.WaitGroup
	for w := range l.writers {
		wg.Go(func() {
			for b := 0; l.more(b); b++ {
				if err := l.apply(ctx, s, fmt.Sprintf("w%d", w), fmt.Sprintf("b%05d", b)); err != nil {
					errs <- err
					return
				}
				l.written.Add(1)
			}
		})
	}
	writing := make(chan struct{})
	go func() { wg.Wait(); close(writing) }()
	var rg sync.WaitGroup
	rg.Go(func() {
		var at uint64
		for {
			select {
			case <-writing:
				if at >= uint64(l.total()) {
					return
				}
			default:
			}
			wake := tail.Changed()
			got, err := tail.Changes(ctx, at, 50)
			if err != nil { // the database is down: try again
				if ctx.Err() != nil {
					errs <- fmt.Errorf("tailing at %d: %w", at, err)
					return
				}
				time.Sleep(20 * time.Millisecond)
				continue
			}
			for i, c := range got {
				if c.Version != at+uint64(i)+1 {
					errs <- fmt.Errorf("after %d the reader saw version %d: a gap", at+uint64(i), c.Version)
					return
				}
			}
			if len(got) > 0 {
				at = got[len(got)-1].Version
				continue
			}
			select {
			case <-wake:
			case <-writing:
			case <-ctx.Done():
				errs <- fmt.Errorf("tailing at %d: %w", at, ctx.Err())
				return
			}
		}
	})
	<-writing
	rg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

// apply writes one batch, retrying until it has committed.
func (l *load) apply(ctx context.Context, s *postgres.Store, dir, prefix string) error {
	recs := users(dir, prefix, l.size)
	for {
		_, err := s.Apply(ctx, store.Batch{Directory: dir, Records: recs})
		if err == nil {
			return nil
		}
		l.failures.Add(1)
		if ctx.Err() != nil {
			return fmt.Errorf("batch %s/%s never committed: %w", dir, prefix, err)
		}
		if errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrClosed) {
			return err
		}
		if errors.Is(err, postgres.ErrCommitUnknown) {
			l.unknown.Add(1)
			// Find out, as a syncer's diff would: is the batch there?
			for {
				if _, err := s.Get(ctx, recs[0].Type, dir, recs[0].Id); err == nil {
					return nil
				} else if errors.Is(err, store.ErrNotFound) {
					break
				} else if ctx.Err() != nil {
					return err
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// check verifies the store after the load: every batch exactly once, in contiguous versions,
// each batch's records together and in order, and every record live.
func (l *load) check(t *testing.T, s *postgres.Store) {
	t.Helper()
	ctx := context.Background()
	all, err := s.Changes(ctx, 0, 0)
	require.NoError(t, err)
	require.Len(t, all, l.total(), "changes written")
	seen := make(map[string]bool)
	for i, c := range all {
		require.Equal(t, uint64(i+1), c.Version)
		k := c.Directory + "/" + c.ID
		require.False(t, seen[k], "%s written twice", k)
		seen[k] = true
		if i%l.size > 0 {
			prev := all[i-1]
			require.Equal(t, prev.Directory, c.Directory, "version %d: a batch is contiguous", c.Version)
		}
	}
	n := 0
	v, err := s.Snapshot(ctx, store.Filter{}, func(store.Record) error { n++; return nil })
	require.NoError(t, err)
	require.Equal(t, l.total(), n)
	require.Equal(t, uint64(l.total()), v.Latest)
}
