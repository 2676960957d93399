package client

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// Run keeps the client's replica current until ctx ends, then returns nil. It loads a
// snapshot (SyncLatest), follows changes (Sync), reconnects with exponential backoff after
// errors and resumes from the last applied version, and loads a new snapshot when the server
// aborts Sync with a documented reason; after the first abort in a row it does so at once.
//
// It returns an error only for what retrying cannot fix: invalid filters in Options (at
// once), the server rejecting the request as INVALID_ARGUMENT, or a second concurrent Run.
// Run may be called again after it returned; it resumes from the current replica.
func (c *Client) Run(ctx context.Context) error {
	if err := c.opts.validate(); err != nil {
		return err
	}
	if !c.running.CompareAndSwap(false, true) {
		return errors.New("client: Run is already running")
	}
	defer c.running.Store(false)
	bo := backoff.NewExponentialBackOff(backoff.WithInitialInterval(c.opts.MinBackoff),
		backoff.WithMaxInterval(c.opts.MaxBackoff), backoff.WithMaxElapsedTime(0))
	fresh := !c.Ready() // a snapshot is needed
	aborts := 0         // resyncs in a row without a Sync message in between
	for {
		var a attempt
		err := c.connect(ctx, fresh, &a)
		if ctx.Err() != nil {
			return nil
		}
		if a.loaded {
			fresh = false
		}
		if a.loaded || a.synced {
			bo.Reset()
		}
		if a.synced {
			aborts = 0
		}
		wait := bo.NextBackOff()
		switch classify(err) {
		case fatal:
			return fmt.Errorf("client: %w", err)
		case resync:
			fresh = true
			if aborts++; aborts == 1 {
				wait = 0 // the server answered: it is up, so resync now
			}
			c.opts.Log.Warn("the server voided the replica: loading a new snapshot", "error", err, "wait", wait)
		default:
			c.opts.Log.Warn("stream ended: reconnecting", "error", err, "wait", wait)
		}
		if !sleep(ctx, wait) {
			return nil
		}
		c.stats.reconnects.Add(1)
	}
}

// attempt records what one connection achieved.
type attempt struct {
	loaded bool // a snapshot was installed
	synced bool // a Sync message arrived
}

// connect loads a snapshot when fresh, then follows changes until an error.
func (c *Client) connect(ctx context.Context, fresh bool, a *attempt) error {
	if fresh {
		s, err := c.loadSnapshot(ctx)
		if err != nil {
			return err
		}
		c.install(s)
		a.loaded = true
	}
	v := c.current.Load()
	return c.follow(ctx, v.replica, v.serverVersion, func() { a.synced = true })
}

// sleep waits d, reporting false if ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
