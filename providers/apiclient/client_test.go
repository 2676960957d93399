package apiclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/providertest"
)

type script struct {
	mu    sync.Mutex
	steps []func(w http.ResponseWriter, r *http.Request)
	seen  []*http.Request
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	n := len(s.seen)
	s.seen = append(s.seen, r)
	s.mu.Unlock()
	if n >= len(s.steps) {
		http.Error(w, "unexpected request", http.StatusTeapot)
		return
	}
	s.steps[n](w, r)
}

func (s *script) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seen)
}

func reply(status int, headers map[string]string, body string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		for k, v := range headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}
}

func newTestClient(t *testing.T, h http.Handler, cfg Config) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	cfg.BaseURL = srv.URL + "/api/v1"
	if cfg.MinRetryDelay == 0 {
		cfg.MinRetryDelay = time.Millisecond
	}
	c, err := New(cfg)
	require.NoError(t, err)
	return c
}

func TestRetries(t *testing.T) {
	ok := reply(200, nil, `{"ok":true}`)
	tests := []struct {
		name     string
		steps    []func(http.ResponseWriter, *http.Request)
		cfg      Config
		wantErr  string
		wantWait bool // a rate-limit wait was reported
		minWait  time.Duration
	}{
		{name: "429 Retry-After seconds", steps: []func(http.ResponseWriter, *http.Request){
			reply(429, map[string]string{"Retry-After": "1"}, `{"errorCode":"E0000047","errorSummary":"API call exceeded rate limit"}`), ok},
			wantWait: true, minWait: time.Second},
		{name: "429 Retry-After HTTP-date", steps: []func(http.ResponseWriter, *http.Request){
			func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", time.Now().Add(2*time.Second).UTC().Format(http.TimeFormat))
				w.WriteHeader(429)
			}, ok},
			wantWait: true, minWait: time.Second}, // the date has whole seconds
		{name: "429 vendor reset header", cfg: Config{Limits: &RateLimitHeaders{Reset: "X-Rate-Limit-Reset"}}, steps: []func(http.ResponseWriter, *http.Request){
			reply(429, map[string]string{"X-Rate-Limit-Reset": strconv.FormatInt(time.Now().Unix(), 10)}, ``), ok},
			wantWait: true, minWait: 0},
		{name: "throttled 403", cfg: Config{Throttled: func(r *Response) bool { return r.Status == 403 }}, steps: []func(http.ResponseWriter, *http.Request){
			reply(403, nil, `{"error":{"code":403,"message":"Quota exceeded","errors":[{"reason":"quotaExceeded"}]}}`), ok},
			wantWait: true},
		{name: "503 then success", steps: []func(http.ResponseWriter, *http.Request){reply(503, nil, `busy`), reply(502, nil, ``), ok}},
		{name: "5xx until attempts run out", cfg: Config{MaxAttempts: 3}, steps: []func(http.ResponseWriter, *http.Request){
			reply(500, nil, `{"error":{"code":"InternalError","message":"boom"}}`), reply(500, nil, ``), reply(500, nil, `{"message":"still down"}`), ok},
			wantErr: `gave up after 3 attempts: users: HTTP 500 still down (GET `},
		{name: "400 is final", steps: []func(http.ResponseWriter, *http.Request){
			reply(400, nil, `{"error":{"code":"syncStateNotFound","message":"The sync state generation is old."}}`), ok},
			wantErr: `users: HTTP 400 syncStateNotFound: The sync state generation is old. (GET http`},
		{name: "wait beyond MaxWait", cfg: Config{MaxWait: time.Second}, steps: []func(http.ResponseWriter, *http.Request){
			reply(429, map[string]string{"Retry-After": "3600"}, ``), ok},
			wantErr: "retry at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &script{steps: tt.steps}
			c := newTestClient(t, s, tt.cfg)
			p := &providertest.Progress{}
			start := time.Now()
			resp, err := c.Get(providers.WithProgress(context.Background(), p), "users", "users?limit=200")
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				if tt.name == "wait beyond MaxWait" {
					at, ok := providers.RetryAt(err)
					require.True(t, ok)
					require.WithinDuration(t, time.Now().Add(time.Hour), at, time.Minute)
				}
				return
			}
			require.NoError(t, err)
			require.Equal(t, `{"ok":true}`, string(resp.Body))
			require.GreaterOrEqual(t, time.Since(start), tt.minWait)
			require.Equal(t, s.count(), p.Requests())
			require.Equal(t, tt.wantWait, len(p.Waits()) > 0)
			require.Equal(t, "/api/v1/users", s.seen[0].URL.Path)
			require.Equal(t, "limit=200", s.seen[0].URL.RawQuery)
		})
	}
}

func TestSpentBudgetHoldsRequests(t *testing.T) {
	reset := strconv.FormatInt(time.Now().Add(time.Second).Unix(), 10)
	var times []time.Time
	var mu sync.Mutex
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		times = append(times, time.Now())
		mu.Unlock()
		w.Header().Set("X-Rate-Limit-Remaining", "0")
		w.Header().Set("X-Rate-Limit-Reset", reset)
		fmt.Fprint(w, `{}`)
	})
	c := newTestClient(t, h, Config{Limits: &RateLimitHeaders{Remaining: "X-Rate-Limit-Remaining", Reset: "X-Rate-Limit-Reset"}})
	p := &providertest.Progress{}
	ctx := providers.WithProgress(context.Background(), p)
	_, err := c.Get(ctx, "users", "users")
	require.NoError(t, err)
	_, err = c.Get(ctx, "users", "users")
	require.NoError(t, err)
	require.Len(t, p.Waits(), 1)
	resetAt, _ := strconv.ParseInt(reset, 10, 64)
	require.False(t, times[1].Before(time.Unix(resetAt, 0)), "the second request went out before the reset")
}

func TestTransportErrorsRetried(t *testing.T) {
	var n atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= 1 {
			conn, _, err := w.(http.Hijacker).Hijack()
			require.NoError(t, err)
			conn.Close() // the connection drops mid-request
			return
		}
		fmt.Fprint(w, `{}`)
	})
	c := newTestClient(t, h, Config{MaxAttempts: 2})
	_, err := c.Get(context.Background(), "users", "users?filter=secret")
	require.NoError(t, err)
	require.Equal(t, int32(2), n.Load())

	n.Store(-10) // every try drops the connection
	_, err = c.Get(context.Background(), "users", "users?filter=secret")
	require.ErrorContains(t, err, "gave up after 2 attempts: GET "+c.base.String()+"users: ")
	require.NotContains(t, err.Error(), "secret", "the query is left out of errors")
}

func TestTimeoutRetried(t *testing.T) {
	var n atomic.Int32
	release := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		fmt.Fprint(w, `{}`)
	})
	c := newTestClient(t, h, Config{Timeout: 100 * time.Millisecond})
	defer close(release)
	_, err := c.Get(context.Background(), "users", "users")
	require.NoError(t, err)
	require.Equal(t, int32(2), n.Load())
}

func TestResponseSizeLimit(t *testing.T) {
	c := newTestClient(t, &script{steps: []func(http.ResponseWriter, *http.Request){reply(200, nil, `{"a":"0123456789"}`)}},
		Config{MaxResponseBytes: 10})
	_, err := c.Get(context.Background(), "users", "users")
	require.ErrorContains(t, err, "response larger than 10 bytes")

	// A request may raise the bound (a bulk export file).
	c = newTestClient(t, &script{steps: []func(http.ResponseWriter, *http.Request){reply(200, nil, `{"a":"0123456789"}`)}},
		Config{MaxResponseBytes: 10})
	resp, err := c.Do(context.Background(), Request{URL: "export", MaxResponseBytes: 100})
	require.NoError(t, err)
	require.JSONEq(t, `{"a":"0123456789"}`, string(resp.Body))
}

func TestConcurrencyBound(t *testing.T) {
	var inFlight, peak atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
		inFlight.Add(-1)
		fmt.Fprint(w, `{}`)
	})
	c := newTestClient(t, h, Config{Concurrency: 3})
	require.NoError(t, ForEach(context.Background(), c, 30, func(ctx context.Context, i int) error {
		_, err := c.Get(ctx, "groups", fmt.Sprintf("groups/%d", i))
		return err
	}))
	require.LessOrEqual(t, peak.Load(), int32(3))
	require.Greater(t, peak.Load(), int32(1), "ForEach ran one at a time")
}

func TestForEachStopsAtFirstError(t *testing.T) {
	c := newTestClient(t, http.NotFoundHandler(), Config{Concurrency: 2})
	var calls atomic.Int32
	err := ForEach(context.Background(), c, 100, func(ctx context.Context, i int) error {
		calls.Add(1)
		if i == 3 {
			return errors.New("group 3 failed")
		}
		return ctx.Err()
	})
	require.EqualError(t, err, "group 3 failed")
}

func TestStaticHeaderAndNoRenewal(t *testing.T) {
	s := &script{steps: []func(http.ResponseWriter, *http.Request){
		reply(401, nil, `{"errorCode":"E0000011","errorSummary":"Invalid token provided"}`), reply(200, nil, `{}`)}}
	c := newTestClient(t, s, Config{Auth: Header("Authorization", "SSWS t0ken")})
	_, err := c.Get(context.Background(), "users", "users")
	require.EqualError(t, err, fmt.Sprintf("users: HTTP 401 E0000011: Invalid token provided (GET %s)", c.base.String()+"users"))
	require.NotContains(t, err.Error(), "t0ken")
	require.Equal(t, 1, s.count())
	require.Equal(t, "SSWS t0ken", s.seen[0].Header.Get("Authorization"))
}

func TestOAuth2RenewsOnceOn401(t *testing.T) {
	var fetched atomic.Int32
	fetch := func(context.Context) (*oauth2.Token, error) {
		n := fetched.Add(1)
		return &oauth2.Token{AccessToken: fmt.Sprintf("tok%d", n), TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)}, nil
	}
	s := &script{steps: []func(http.ResponseWriter, *http.Request){
		reply(200, nil, `{}`), reply(401, nil, `{}`), reply(200, nil, `{}`), reply(401, nil, `{}`), reply(401, nil, `{}`)}}
	c := newTestClient(t, s, Config{Auth: OAuth2(fetch)})
	ctx := context.Background()
	_, err := c.Get(ctx, "users", "users")
	require.NoError(t, err)
	_, err = c.Get(ctx, "users", "users") // 401: renew, then 200
	require.NoError(t, err)
	_, err = c.Get(ctx, "users", "users") // 401, renew, 401: final
	require.ErrorContains(t, err, "HTTP 401")
	require.Equal(t, int32(3), fetched.Load())
	var got []string
	for _, r := range s.seen {
		got = append(got, r.Header.Get("Authorization"))
	}
	require.Equal(t, []string{"Bearer tok1", "Bearer tok1", "Bearer tok2", "Bearer tok2", "Bearer tok3"}, got)
}

func TestConcurrent401sRenewOnce(t *testing.T) {
	var fetched atomic.Int32
	fetch := func(context.Context) (*oauth2.Token, error) {
		return &oauth2.Token{AccessToken: fmt.Sprintf("tok%d", fetched.Add(1)), Expiry: time.Now().Add(time.Hour)}, nil
	}
	var c *Client
	release := make(chan struct{})
	var waiting atomic.Int32
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer tok1" { // revoked: every request using it fails together
			if waiting.Add(1) == 4 {
				close(release)
			}
			<-release
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `{}`)
	})
	c = newTestClient(t, h, Config{Auth: OAuth2(fetch), Concurrency: 4})
	require.NoError(t, ForEach(context.Background(), c, 4, func(ctx context.Context, i int) error {
		_, err := c.Get(ctx, "users", "users")
		return err
	}))
	require.Equal(t, int32(2), fetched.Load(), "four 401s of one token renew it once")
}

func TestTokenRenewedBeforeExpiry(t *testing.T) {
	var fetched atomic.Int32
	life := 50 * time.Millisecond // renewed a tenth of its life early
	fetch := func(context.Context) (*oauth2.Token, error) {
		fetched.Add(1)
		return &oauth2.Token{AccessToken: "t", Expiry: time.Now().Add(life)}, nil
	}
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{}`) }), Config{Auth: OAuth2(fetch)})
	_, err := c.Get(context.Background(), "users", "users")
	require.NoError(t, err)
	_, err = c.Get(context.Background(), "users", "users")
	require.NoError(t, err)
	require.Equal(t, int32(1), fetched.Load())
	time.Sleep(life)
	_, err = c.Get(context.Background(), "users", "users")
	require.NoError(t, err)
	require.Equal(t, int32(2), fetched.Load())
}

func TestCredentialsStayOnTheAPIHost(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Empty(t, r.Header.Get("Authorization"))
		fmt.Fprint(w, `{"download":true}`)
	}))
	defer other.Close()
	var api *httptest.Server
	api = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, "Bearer secret", r.Header.Get("Authorization"))
		http.Redirect(w, r, other.URL+"/file", http.StatusFound)
	}))
	defer api.Close()
	c, err := New(Config{BaseURL: api.URL, Auth: Header("Authorization", "Bearer secret")})
	require.NoError(t, err)
	// A URL on another host gets no credentials.
	resp, err := c.Get(context.Background(), "export", other.URL+"/file")
	require.NoError(t, err)
	require.JSONEq(t, `{"download":true}`, string(resp.Body))
	// A redirect of a credentialed request to another host is not followed.
	_, err = c.Get(context.Background(), "jobs", "jobs/1")
	var se *StatusError
	require.ErrorAs(t, err, &se)
	require.Equal(t, http.StatusFound, se.Status)
}
