package syncer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/dirsync/dirsync/store"
)

// errReleased is the cause of a lease context ended by its holder.
var errReleased = errors.New("lease released")

// holdLease keeps the lease name, acquired by this process at acquiredAt (the time the
// acquiring call started), renewed every TTL/3. The returned context ends, with a cause
// wrapping store.ErrLeaseLost, as soon as a renewal reports the lease lost, or when no
// renewal has succeeded for 5/6 of the TTL: it ends before the lease can expire, so another
// process can never start the directory while a run here still goes on. It also ends with
// ctx. release ends the context, waits for the renewer and releases the lease.
func (s *Syncer) holdLease(ctx context.Context, name string, acquiredAt time.Time, log *slog.Logger) (context.Context, func()) {
	lctx, cancel := context.WithCancelCause(ctx)
	margin := s.ttl / 6
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(s.ttl / 3)
		defer tick.Stop()
		expire := time.NewTimer(time.Until(acquiredAt.Add(s.ttl - margin)))
		defer expire.Stop()
		for {
			select {
			case <-lctx.Done():
				return
			case <-expire.C:
				log.Error("lease renewals failed until its expiry; stopping")
				cancel(fmt.Errorf("%w: not renewed before expiry", store.ErrLeaseLost))
				return
			case <-tick.C:
			}
			start := time.Now()
			rctx, rcancel := context.WithTimeout(lctx, s.ttl/3)
			err := s.st.RenewLease(rctx, name, s.holder, s.ttl)
			rcancel()
			switch {
			case err == nil:
				expire.Reset(time.Until(start.Add(s.ttl - margin)))
			case lctx.Err() != nil:
				return
			case errors.Is(err, store.ErrLeaseLost):
				log.Error("lease lost; stopping", "err", err)
				cancel(err)
				return
			default:
				log.Warn("cannot renew the lease; retrying", "err", err)
			}
		}
	}()
	release := func() {
		cancel(errReleased)
		<-done
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), s.ttl/3)
		defer rcancel()
		if err := s.st.ReleaseLease(rctx, name, s.holder); err != nil && !errors.Is(err, store.ErrClosed) {
			log.Warn("cannot release the lease; it expires on its own", "err", err)
		}
	}
	return lctx, release
}
