// Package apiclient is the one HTTP layer every HTTP provider uses to talk to its IdP's API.
//
// A Client adds authentication (static header or OAuth2 token refreshed before expiry and
// once on 401), retries 429, 5xx and transport timeouts with exponential backoff while
// honouring Retry-After and the vendor's rate-limit reset headers (bounded in attempts and
// total time), bounds the requests in flight, limits response sizes, reports each request
// and rate-limit wait to the syncer's progress and to OpenTelemetry metrics, and turns
// failed responses into *StatusError with the vendor's error code and message.
//
// The client never logs, and no error it returns contains a credential.
package apiclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Config configures a Client. Only BaseURL is required.
type Config struct {
	// BaseURL is the API root; relative request URLs resolve against it.
	BaseURL string
	// Directory names the directory in metrics.
	Directory string
	// Auth authenticates each request; nil sends none.
	Auth Auth
	// CAFile is a PEM file of extra CA certificates to trust (self-hosted instances, tests).
	CAFile string
	// Concurrency bounds the requests in flight (default 4).
	Concurrency int
	// MaxAttempts bounds the tries of one request (default 6).
	MaxAttempts int
	// MaxWait bounds the total time one request spends waiting between tries (default 2m);
	// a longer wait asked by the server fails the request with a *providers.RetryError.
	MaxWait time.Duration
	// MinRetryDelay is the first backoff between tries (default 500ms); it doubles, with
	// jitter, up to 30s.
	MinRetryDelay time.Duration
	// Timeout bounds one try, response body included (default 60s).
	Timeout time.Duration
	// MaxResponseBytes bounds a response body (default 64 MiB).
	MaxResponseBytes int64
	// Limits reads the vendor's rate-limit headers; nil reads only Retry-After.
	Limits *RateLimitHeaders
	// Throttled reports responses that are rate limits although not 429 (GitHub's
	// secondary limits, Google's 403 quotaExceeded); they are retried like 429.
	Throttled func(*Response) bool
	// UserAgent is sent with every request (default "dirsync").
	UserAgent string
}

// Client is safe for concurrent use.
type Client struct {
	cfg  Config
	base *url.URL
	http *http.Client
	sem  chan struct{}

	mu         sync.Mutex
	pauseUntil time.Time // the vendor said the budget is spent until then
}

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, fmt.Errorf("base URL %q: must be an absolute http(s) URL", cfg.BaseURL)
	}
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 6
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = 2 * time.Minute
	}
	if cfg.MinRetryDelay <= 0 {
		cfg.MinRetryDelay = 500 * time.Millisecond
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	if cfg.MaxResponseBytes <= 0 {
		cfg.MaxResponseBytes = 64 << 20
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "dirsync"
	}
	hc, err := httpClient(cfg.CAFile, cfg.Concurrency)
	if err != nil {
		return nil, err
	}
	if cfg.Auth != nil {
		cfg.Auth.use(hc, cfg.Directory)
	}
	return &Client{cfg: cfg, base: base, http: hc, sem: make(chan struct{}, cfg.Concurrency)}, nil
}

// Concurrency is the number of requests the client lets run at once; callers fanning out
// (one request per group) use it as their parallelism.
func (c *Client) Concurrency() int { return c.cfg.Concurrency }

// Request is one API call.
type Request struct {
	// Method defaults to GET.
	Method string
	// URL is absolute, or relative to the base URL ("users?limit=200").
	URL string
	// Endpoint labels the request in metrics and errors ("users", "group members");
	// default: the URL path.
	Endpoint string
	Header   http.Header
	// Body is sent as is; set Content-Type in Header.
	Body []byte
	// MaxResponseBytes, when positive, replaces Config.MaxResponseBytes for this request
	// (a bulk export file).
	MaxResponseBytes int64
}

// Response is a successful (2xx) response, its body read in full.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	// URL is the URL that was requested.
	URL *url.URL

	authorization string // the request's Authorization header, for renewing a rejected token
}

// Get is Do of a GET without headers.
func (c *Client) Get(ctx context.Context, endpoint, rawURL string) (*Response, error) {
	return c.Do(ctx, Request{URL: rawURL, Endpoint: endpoint})
}

// Do sends r, retrying what is transient, and returns the 2xx response. Other outcomes are
// errors: *StatusError for an HTTP failure, *providers.RetryError when the server asks for a
// wait longer than the client may spend, ctx's error when it ends.
func (c *Client) Do(ctx context.Context, r Request) (*Response, error) {
	u, err := c.base.Parse(r.URL)
	if err != nil {
		return nil, fmt.Errorf("request URL %q: %w", r.URL, err)
	}
	if r.Method == "" {
		r.Method = http.MethodGet
	}
	if r.Endpoint == "" {
		r.Endpoint = u.Path
	}
	return c.retry(ctx, r, u)
}

// send makes one try. The error is *StatusError for a non-2xx response, else a transport
// error.
func (c *Client) send(ctx context.Context, r Request, u *url.URL) (*Response, error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-c.sem }()

	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	authed := c.cfg.Auth != nil && u.Host == c.base.Host
	if authed {
		ctx = withCredentials(ctx)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, u.String(), bytes.NewReader(r.Body))
	if err != nil {
		return nil, err
	}
	for k, v := range r.Header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	if authed {
		if err := c.cfg.Auth.apply(ctx, req); err != nil {
			return nil, err
		}
	}
	ctx, span := startSpan(ctx, c.cfg.Directory, r)
	defer span.End()
	req = req.WithContext(ctx)
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		endSpan(span, 0, err)
		observe(ctx, c.cfg.Directory, r.Endpoint, "error", time.Since(start))
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its URL holds the query; the caller names the request without it
		}
		return nil, err
	}
	defer resp.Body.Close()
	limit := c.cfg.MaxResponseBytes
	if r.MaxResponseBytes > 0 {
		limit = r.MaxResponseBytes
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	endSpan(span, resp.StatusCode, err)
	observe(ctx, c.cfg.Directory, r.Endpoint, statusLabel(resp.StatusCode, err), time.Since(start))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("%s %s: response larger than %d bytes", r.Method, redact(u), limit)
	}
	out := &Response{Status: resp.StatusCode, Header: resp.Header, Body: body, URL: u, authorization: req.Header.Get("Authorization")}
	c.noteLimits(out)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return out, newStatusError(r, u, out)
	}
	return out, nil
}

// redact drops the query string (which may carry filters of personal data) and any
// userinfo from u for error messages.
func redact(u *url.URL) string {
	v := *u
	v.RawQuery, v.User, v.Fragment = "", nil, ""
	return v.String()
}
