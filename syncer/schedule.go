package syncer

import (
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/dirsync/dirsync/providers"
)

// newBackoff returns the backoff after failures: from MinDelay, doubling, ±50% jitter,
// never stopping. failureWait caps it at MaxDelay.
func newBackoff(p Polling) *backoff.ExponentialBackOff {
	return backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(p.MinDelay),
		backoff.WithMultiplier(2),
		backoff.WithRandomizationFactor(0.5),
		backoff.WithMaxInterval(p.MaxDelay),
		backoff.WithMaxElapsedTime(0),
	)
}

// failureWait returns the wait after a failed run that ended at end: the next backoff
// interval, at most MaxDelay, or longer when err carries a later retry time.
func (d *dirLoop) failureWait(err error, end time.Time) time.Duration {
	wait := min(d.backoff.NextBackOff(), d.cfg.Polling.MaxDelay)
	if at, ok := providers.RetryAt(err); ok && at.Sub(end) > wait {
		wait = at.Sub(end)
	}
	return wait
}

// successWait returns the wait after a successful or blocked run, and resets the backoff.
func (d *dirLoop) successWait() time.Duration {
	d.backoff.Reset()
	return d.cfg.Polling.MinDelay
}
