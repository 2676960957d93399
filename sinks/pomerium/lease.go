package pomerium

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dirsync/dirsync/store"
)

// errReleased ends a lease context on purpose.
var errReleased = errors.New("lease released")

// holdLease keeps the sink's lease, acquired at acquiredAt, renewed every TTL/3. The
// returned context ends when a renewal reports the lease lost, when no renewal has succeeded
// for 5/6 of the TTL (before the lease can expire and another replica take over), or with
// ctx. release ends it, waits for the renewer and frees the lease.
func (s *Sink) holdLease(ctx context.Context, acquiredAt time.Time) (context.Context, func()) {
	lctx, cancel := context.WithCancelCause(ctx)
	ttl := s.cfg.LeaseTTL
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(ttl / 3)
		defer tick.Stop()
		expire := time.NewTimer(time.Until(acquiredAt.Add(ttl - ttl/6)))
		defer expire.Stop()
		for {
			select {
			case <-lctx.Done():
				return
			case <-expire.C:
				cancel(fmt.Errorf("%w: not renewed before expiry", store.ErrLeaseLost))
				return
			case <-tick.C:
			}
			start := time.Now()
			rctx, rcancel := context.WithTimeout(lctx, ttl/3)
			err := s.st.RenewLease(rctx, s.leaseName(), s.cfg.Holder, ttl)
			rcancel()
			switch {
			case err == nil:
				expire.Reset(time.Until(start.Add(ttl - ttl/6)))
			case lctx.Err() != nil:
				return
			case errors.Is(err, store.ErrLeaseLost):
				cancel(err)
				return
			default:
				s.log.Warn("cannot renew the sink's lease; retrying", "err", err)
			}
		}
	}()
	release := func() {
		cancel(errReleased)
		<-done
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), ttl/3)
		defer rcancel()
		if err := s.st.ReleaseLease(rctx, s.leaseName(), s.cfg.Holder); err != nil && !errors.Is(err, store.ErrClosed) {
			s.log.Warn("cannot release the sink's lease; it expires on its own", "err", err)
		}
	}
	return lctx, release
}

// leaseName is the store lease only the replica running the sink holds.
func (s *Sink) leaseName() string { return "sink/" + s.cfg.Name }
