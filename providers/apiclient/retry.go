package apiclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/dirsync/dirsync/providers"
)

// RateLimitHeaders names a vendor's rate-limit response headers.
type RateLimitHeaders struct {
	// Remaining is the header counting requests left in the window ("X-Rate-Limit-Remaining").
	// When it reads 0 the client holds further requests until the reset time.
	Remaining string
	// Reset is the header giving the window's reset ("X-Rate-Limit-Reset").
	Reset string
	// ResetIsDelta means Reset holds seconds from now; otherwise it is a Unix time.
	ResetIsDelta bool
}

// retry sends r until it succeeds, fails permanently, or runs out of attempts or waiting
// time. A 401 with a renewable credential renews it and tries once more without counting
// an attempt.
func (c *Client) retry(ctx context.Context, r Request, u *url.URL) (*Response, error) {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = c.cfg.MinRetryDelay
	b.MaxInterval = 30 * time.Second
	b.MaxElapsedTime = 0 // total waiting is bounded by MaxWait below
	b.Reset()
	var waited time.Duration
	renewed := false
	for attempt := 1; ; attempt++ {
		if err := c.holdForBudget(ctx, &waited); err != nil {
			return nil, err
		}
		resp, err := c.send(ctx, r, u)
		if err == nil {
			return resp, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var se *StatusError
		isStatus := errors.As(err, &se)
		if isStatus && se.Status == http.StatusUnauthorized && !renewed && c.cfg.Auth != nil && c.cfg.Auth.renew(resp.authorization) {
			renewed = true
			attempt--
			continue
		}
		throttled := isStatus && (se.Status == http.StatusTooManyRequests || (c.cfg.Throttled != nil && c.cfg.Throttled(resp)))
		switch {
		case isStatus && !throttled && se.Status < 500:
			return nil, err
		case !isStatus && !transient(err):
			return nil, fmt.Errorf("%s %s: %w", r.Method, redact(u), err)
		case !isStatus:
			err = fmt.Errorf("%s %s: %w", r.Method, redact(u), err)
		}
		wait := b.NextBackOff()
		asked := false
		if resp != nil {
			if at, ok := c.serverWait(resp, throttled); ok {
				wait, asked = max(wait, time.Until(at)), true
			}
		}
		if waited+wait > c.cfg.MaxWait {
			if asked {
				return nil, &providers.RetryError{At: time.Now().Add(wait), Err: err}
			}
			return nil, fmt.Errorf("gave up after %d attempts over %s: %w", attempt, waited.Round(time.Millisecond), err)
		}
		if attempt >= c.cfg.MaxAttempts {
			return nil, fmt.Errorf("gave up after %d attempts: %w", attempt, err)
		}
		if throttled {
			rateLimited(ctx, c.cfg.Directory, r.Endpoint, wait)
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
		waited += wait
	}
}

// holdForBudget waits while the vendor's headers said the rate-limit budget is spent.
func (c *Client) holdForBudget(ctx context.Context, waited *time.Duration) error {
	c.mu.Lock()
	until := c.pauseUntil
	c.mu.Unlock()
	wait := time.Until(until)
	if wait <= 0 {
		return nil
	}
	if *waited+wait > c.cfg.MaxWait {
		return &providers.RetryError{At: until, Err: errors.New("rate limit budget spent")}
	}
	rateLimited(ctx, c.cfg.Directory, "budget", wait)
	*waited += wait
	return sleep(ctx, wait)
}

// noteLimits records a spent budget announced by the vendor's headers.
func (c *Client) noteLimits(resp *Response) {
	l := c.cfg.Limits
	if l == nil || l.Remaining == "" || resp.Header.Get(l.Remaining) != "0" {
		return
	}
	if at, ok := l.reset(resp.Header); ok {
		c.mu.Lock()
		if at.After(c.pauseUntil) {
			c.pauseUntil = at
		}
		c.mu.Unlock()
	}
}

// serverWait is when the server asked to be retried: Retry-After (seconds or HTTP-date),
// else for a rate limit the vendor's reset header.
func (c *Client) serverWait(resp *Response, throttled bool) (time.Time, bool) {
	if v := resp.Header.Get("Retry-After"); v != "" {
		if s, err := strconv.Atoi(v); err == nil && s >= 0 {
			return time.Now().Add(time.Duration(s) * time.Second), true
		}
		if t, err := http.ParseTime(v); err == nil {
			return t, true
		}
	}
	// The reset time answers a throttled request only when the budget is spent: a throttle
	// with requests left (GitHub's secondary limits) asks for a backoff, not an hour's wait.
	if l := c.cfg.Limits; throttled && l != nil && (l.Remaining == "" || resp.Header.Get(l.Remaining) == "0") {
		return l.reset(resp.Header)
	}
	return time.Time{}, false
}

func (l *RateLimitHeaders) reset(h http.Header) (time.Time, bool) {
	if l.Reset == "" {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(h.Get(l.Reset), 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, false
	}
	if l.ResetIsDelta {
		return time.Now().Add(time.Duration(n) * time.Second), true
	}
	// A Unix-seconds reset is rounded down by the server; a second more avoids retrying
	// into the same window.
	return time.Unix(n+1, 0), true
}

// transient reports whether a transport error may pass on retry: anything but a failed
// certificate check or a malformed request.
func transient(err error) bool {
	var unknownCA x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var hostname x509.HostnameError
	var verify *tls.CertificateVerificationError
	var tokenErr *TokenError
	return !errors.As(err, &unknownCA) && !errors.As(err, &invalid) && !errors.As(err, &hostname) &&
		!errors.As(err, &verify) && !errors.As(err, &tokenErr) && !errors.Is(err, http.ErrSchemeMismatch)
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
