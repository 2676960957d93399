package apiclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
)

// httpClient returns the HTTP client of one Client: its own connection pool sized for its
// concurrency, the CA file's certificates trusted besides the system's, and redirects to
// another host refused for requests that carry credentials.
func httpClient(caFile string, concurrency int) (*http.Client, error) {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = concurrency
	t.MaxConnsPerHost = 0
	if caFile != "" {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		pemBytes, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("ca_file: %w", err)
		}
		if !pool.AppendCertsFromPEM(pemBytes) {
			return nil, fmt.Errorf("ca_file %s: no PEM certificate in it", caFile)
		}
		t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: t, CheckRedirect: checkRedirect}, nil
}

type credentialedKey struct{}

// withCredentials marks a request context as carrying credentials.
func withCredentials(ctx context.Context) context.Context {
	return context.WithValue(ctx, credentialedKey{}, true)
}

func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if req.URL.Host != via[0].URL.Host && req.Context().Value(credentialedKey{}) != nil {
		return http.ErrUseLastResponse
	}
	return nil
}
