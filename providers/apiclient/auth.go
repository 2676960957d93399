package apiclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/sync/singleflight"
)

// Auth authenticates requests. Credentials are sent only to the base URL's host: a next
// link or download URL on another host gets none.
type Auth interface {
	// apply sets the request's credentials.
	apply(ctx context.Context, req *http.Request) error
	// renew drops the cached credential after a 401 answered a request that carried used
	// (its Authorization header), unless another request renewed it meanwhile; false when
	// there is nothing to renew.
	renew(used string) bool
	// use gives the HTTP client that token requests go through and the directory they
	// are counted for.
	use(hc *http.Client, directory string)
}

// Header authenticates with a fixed header, e.g. Header("Authorization", "SSWS "+token)
// or Header("PRIVATE-TOKEN", token). A 401 is final.
func Header(name, value string) Auth { return &header{name: name, value: value} }

type header struct{ name, value string }

func (h *header) apply(_ context.Context, req *http.Request) error {
	req.Header.Set(h.name, h.value)
	return nil
}
func (h *header) renew(string) bool        { return false }
func (h *header) use(*http.Client, string) {}

// TokenFunc fetches a new OAuth2 access token. ctx carries the client's HTTP client under
// oauth2.HTTPClient, so golang.org/x/oauth2 token requests honour the CA file.
type TokenFunc func(ctx context.Context) (*oauth2.Token, error)

// OAuth2 authenticates with "Authorization: Bearer <token>" from fetch. The token is cached
// and fetched again a minute (or a tenth of its lifetime, if shorter) before it expires,
// and once after a 401.
func OAuth2(fetch TokenFunc) Auth { return &tokenAuth{fetch: fetch} }

type tokenAuth struct {
	fetch     TokenFunc
	hc        *http.Client
	directory string

	flight singleflight.Group

	mu      sync.Mutex
	tok     *oauth2.Token
	renewAt time.Time
}

func (a *tokenAuth) use(hc *http.Client, directory string) { a.hc, a.directory = hc, directory }

func (a *tokenAuth) renew(used string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.tok != nil && a.tok.Type()+" "+a.tok.AccessToken == used {
		a.tok = nil
	}
	return true
}

func (a *tokenAuth) apply(ctx context.Context, req *http.Request) error {
	tok, err := a.token(ctx)
	if err != nil {
		return err
	}
	tok.SetAuthHeader(req)
	return nil
}

// token returns the cached token or fetches one. Callers that ask while a fetch is in
// flight share its outcome, a failure included: N concurrent requests with a bad
// credential make one token request, not N.
func (a *tokenAuth) token(ctx context.Context) (*oauth2.Token, error) {
	a.mu.Lock()
	tok, valid := a.tok, a.tok != nil && time.Now().Before(a.renewAt)
	a.mu.Unlock()
	if valid {
		return tok, nil
	}
	v, err, _ := a.flight.Do("token", func() (any, error) {
		start := time.Now()
		tok, err := a.fetch(context.WithValue(ctx, oauth2.HTTPClient, a.hc))
		status := "200"
		if err != nil {
			status = "error"
		}
		observe(ctx, a.directory, "token", status, time.Since(start))
		switch {
		case err != nil:
			return nil, tokenError(err)
		case tok.AccessToken == "":
			return nil, &TokenError{Err: errors.New("response has no access_token")}
		}
		a.mu.Lock()
		a.tok, a.renewAt = tok, renewTime(start, tok.Expiry)
		a.mu.Unlock()
		return tok, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*oauth2.Token), nil
}

// renewTime is when a token fetched at start and expiring at expiry should be replaced.
func renewTime(start, expiry time.Time) time.Time {
	if expiry.IsZero() {
		return start.Add(time.Hour)
	}
	early := min(time.Minute, expiry.Sub(start)/10)
	return expiry.Add(-early)
}

// TokenError is a failed token request. Token errors are not retried by the client: a
// wrong credential does not heal, and the syncer backs off the whole run.
type TokenError struct{ Err error }

func (e *TokenError) Error() string { return "token request: " + e.Err.Error() }
func (e *TokenError) Unwrap() error { return e.Err }

// tokenError keeps the useful part of an oauth2 error: the status and the OAuth error code
// and description, never the request.
func tokenError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		msg := fmt.Sprintf("HTTP %d", re.Response.StatusCode)
		switch {
		case re.ErrorCode != "":
			msg += " " + re.ErrorCode
			if re.ErrorDescription != "" {
				msg += ": " + clip(re.ErrorDescription)
			}
		default:
			code, m := vendorError(re.Body)
			msg += " " + joinNonEmpty(code, m)
		}
		return &TokenError{Err: errors.New(msg)}
	}
	return &TokenError{Err: err}
}
