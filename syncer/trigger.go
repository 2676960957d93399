package syncer

import (
	"context"
	"slices"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// waiter is one Trigger call waiting for its run.
type waiter struct {
	force bool
	done  chan result // buffered: the loop never blocks on a caller that gave up
}

// result is what a trigger gets back.
type result struct {
	status  *dirsyncv1.DirectoryStatus
	version uint64
	err     error
}

// Trigger runs the directory's sync now (after the run in progress, if any) and returns when
// it has ended, with the directory's status and the store's record_version after it. A
// failed or blocked run is not an error here: its outcome is in the status (last_result,
// last_error). force lets the run past the mass-deletion guard. Triggers queued while a run
// goes on share the next run (forced if any of them is).
//
// Errors: ErrUnknownDirectory; ErrNotLeader when another process holds the directory's
// lease (or loses it to one during the run, or the syncer has stopped); ctx's error when it
// ends first (the run, once started, goes on).
func (s *Syncer) Trigger(ctx context.Context, dir string, force bool) (*dirsyncv1.DirectoryStatus, uint64, error) {
	d, err := s.dir(dir)
	if err != nil {
		return nil, 0, err
	}
	w := &waiter{force: force, done: make(chan result, 1)}
	d.mu.Lock()
	if d.stopped {
		d.mu.Unlock()
		return nil, 0, errStopped
	}
	d.waiters = append(d.waiters, w)
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
	select {
	case r := <-w.done:
		return r.status, r.version, r.err
	case <-ctx.Done():
		d.mu.Lock()
		d.waiters = slices.DeleteFunc(d.waiters, func(x *waiter) bool { return x == w })
		d.mu.Unlock()
		return nil, 0, ctx.Err()
	}
}

// takeWaiters removes and returns the queued triggers.
func (d *dirLoop) takeWaiters() []*waiter {
	d.mu.Lock()
	defer d.mu.Unlock()
	ws := d.waiters
	d.waiters = nil
	return ws
}

// answer sends r to each waiter; each gets its own copy of the status.
func (d *dirLoop) answer(ws []*waiter, r result) {
	for i, w := range ws {
		if i > 0 && r.status != nil {
			r.status = cloneStatus(r.status)
		}
		w.done <- r
	}
}
