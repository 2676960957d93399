package syncer

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// dirLoop is the sync loop of one directory and its status.
type dirLoop struct {
	s     *Syncer
	cfg   Directory // defaults applied
	log   *slog.Logger
	lease string
	// backoff grows the wait after consecutive failures; only the loop goroutine uses it.
	backoff *backoff.ExponentialBackOff
	// wake is signalled (without blocking) when a trigger is queued.
	wake chan struct{}
	// prog counts the current (or last) run's provider activity.
	prog progress
	// leading is set while this process holds the directory's lease (see lead).
	leading atomic.Bool

	mu      sync.Mutex
	status  *dirsyncv1.DirectoryStatus
	waiters []*waiter
	stopped bool
}

func newDirLoop(s *Syncer, d Directory) *dirLoop {
	return &dirLoop{
		s:       s,
		cfg:     d,
		log:     s.log.With("directory", d.Name),
		lease:   leaseName(d.Name),
		backoff: newBackoff(d.Polling),
		wake:    make(chan struct{}, 1),
		status: &dirsyncv1.DirectoryStatus{
			Directory: d.Name,
			Provider:  d.Provider,
			State:     dirsyncv1.SyncState_SYNC_STATE_IDLE,
		},
	}
}

// errStopped answers triggers once a directory's loop has ended.
var errStopped = fmt.Errorf("%w: the syncer has stopped", ErrNotLeader)

// Run runs one loop per configured directory until ctx ends, and returns when all have
// stopped (each releases its lease). Call it once.
func (s *Syncer) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, name := range s.names {
		d := s.dirs[name]
		wg.Go(func() { d.loop(ctx) })
	}
	wg.Wait()
}

// loop alternates between standby (another holder has the lease: retry every TTL/3) and
// leading (run the directory while the lease holds) until ctx ends.
func (d *dirLoop) loop(ctx context.Context) {
	defer d.stop()
	d.loadCounts(ctx)
	for ctx.Err() == nil {
		acquiredAt := time.Now()
		ok, err := d.s.st.AcquireLease(ctx, d.lease, d.s.holder, d.s.ttl)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			d.log.Warn("cannot acquire the directory's lease; retrying", "err", err)
		case ok:
			d.lead(ctx, acquiredAt)
			if ctx.Err() != nil {
				return
			}
			d.standby()
		default:
			d.standby()
		}
		// While another holder leads, triggers are refused; while the store fails, they wait.
		d.pause(ctx, d.s.ttl/3, err == nil)
	}
}

// pause waits d, refusing queued triggers with ErrNotLeader when refuse is set.
func (d *dirLoop) pause(ctx context.Context, wait time.Duration, refuse bool) {
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		if refuse {
			d.answer(d.takeWaiters(), result{err: fmt.Errorf("directory %q: %w", d.cfg.Name, ErrNotLeader)})
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			return
		case <-d.wake:
		}
	}
}

// lead runs the directory while this process holds its lease (acquired at acquiredAt): a
// run at once, then one whenever the schedule or a trigger says. It returns when the lease
// is lost or ctx ends, having cancelled any run in progress and released the lease.
func (d *dirLoop) lead(ctx context.Context, acquiredAt time.Time) {
	lctx, release := d.s.holdLease(ctx, d.lease, acquiredAt, d.log)
	defer release()
	d.log.Info("lease acquired; this process syncs the directory", "holder", d.s.holder)
	d.inherit()
	d.update(func(st *dirsyncv1.DirectoryStatus) {
		st.State = dirsyncv1.SyncState_SYNC_STATE_IDLE
		st.NextRun = ts(d.s.now())
	})
	d.leading.Store(true)
	defer d.leading.Store(false)
	d.publish(lctx, d.local())
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		woken := false
		select {
		case <-lctx.Done():
			return
		case <-timer.C:
		case <-d.wake:
			woken = true
		}
		ws := d.takeWaiters()
		if woken && len(ws) == 0 {
			continue // the trigger gave up before its run started
		}
		force := false
		for _, w := range ws {
			force = force || w.force
		}
		out := d.runOnce(lctx, force)
		if lctx.Err() != nil {
			if ctx.Err() == nil {
				d.standby() // before answering, so callers see it
			}
			d.answer(ws, result{err: fmt.Errorf("directory %q: %w (%v)", d.cfg.Name, ErrNotLeader, context.Cause(lctx))})
			return
		}
		d.publish(lctx, out.status) // before answering: a trigger's caller finds it stored
		d.answer(ws, result{status: out.status, version: out.version})
		timer.Reset(out.wait)
	}
}

// standby reports that another holder runs the directory.
func (d *dirLoop) standby() {
	d.update(func(st *dirsyncv1.DirectoryStatus) {
		if st.State != dirsyncv1.SyncState_SYNC_STATE_STANDBY {
			d.log.Info("another process holds the directory's lease; standing by")
		}
		st.State = dirsyncv1.SyncState_SYNC_STATE_STANDBY
		st.NextRun = nil
		st.Progress = nil
	})
}

// stop ends the loop: queued and later triggers get errStopped.
func (d *dirLoop) stop() {
	d.mu.Lock()
	d.stopped = true
	ws := d.waiters
	d.waiters = nil
	d.mu.Unlock()
	d.answer(ws, result{err: errStopped})
}
