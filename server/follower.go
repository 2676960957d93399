package server

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/dirsync/dirsync/store"
)

// follower feeds one consumer of the change stream (the replica, the enrollment revoker) from
// the broadcaster. Its contract:
//
//   - run first calls resync, which brings the consumer up to date without the change stream
//     (loads a snapshot, sweeps the store) and returns the version it is now current at.
//   - It then reads the changes after that version that match filter, in version order, and
//     passes each batch to apply with next, the version the batch reaches: every change up to
//     next is in the batch or was filtered out, so a batch may be empty. Its position moves to
//     next only when apply returns nil.
//   - On an error from resync, from reading or from apply it logs the error, waits (about
//     50 ms, doubling up to about 5 s, jittered, back to 50 ms after a success) and tries the
//     same step again from the same position: a batch that apply failed is read and passed
//     again, whole.
//   - When the changes after its position have been compacted away (store.ErrVersionTooOld) it
//     calls resync again at once and continues from the version resync returns.
//   - run returns when ctx ends, and only then; it calls nothing after it returns.
//
// resync and apply run on run's goroutine, one call at a time.
type follower struct {
	bc     *broadcaster
	filter store.Filter
	resync func(ctx context.Context) (uint64, error)
	apply  func(ctx context.Context, changes []store.Record, next uint64) error
	log    *slog.Logger
	what   string // what the consumer does, the message of the follower's log lines
}

// run follows the broadcaster until ctx ends (see follower).
func (f *follower) run(ctx context.Context) {
	bo := backoff.NewExponentialBackOff(backoff.WithInitialInterval(50*time.Millisecond),
		backoff.WithMultiplier(2), backoff.WithMaxInterval(5*time.Second), backoff.WithMaxElapsedTime(0))
	var (
		cursor  uint64
		synced  bool
		changes []store.Record
	)
	for ctx.Err() == nil {
		var err error
		if !synced {
			var v uint64
			if v, err = f.resync(ctx); err == nil {
				cursor, synced = v, true
			}
		} else {
			var next uint64
			var wake <-chan struct{}
			changes, next, wake, err = f.bc.read(ctx, cursor, f.filter, changes[:0])
			if errors.Is(err, store.ErrVersionTooOld) {
				f.log.Warn(f.what+": changes compacted away, resyncing", "after", cursor)
				synced = false
				continue
			}
			if err == nil && wake != nil {
				select {
				case <-wake:
				case <-ctx.Done():
				}
				continue
			}
			if err == nil {
				if err = f.apply(ctx, changes, next); err == nil {
					cursor = next
				}
			}
		}
		if err == nil {
			bo.Reset()
			continue
		}
		if ctx.Err() != nil {
			return
		}
		retry := bo.NextBackOff()
		f.log.Error(f.what, "resyncing", !synced, "after", cursor, "error", err, "retry_in", retry)
		select {
		case <-time.After(retry):
		case <-ctx.Done():
		}
	}
}
