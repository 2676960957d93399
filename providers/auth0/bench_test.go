package auth0

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// BenchmarkSync reads a 5,000-user / 500-role tenant from the fake over loopback and
// compares it with the baseline: the same requests (as the fake logged them) made one after
// another with a plain http.Client, bodies discarded. It reports the requests a sync makes,
// the API minimum (see TestRequestCount), and x_vs_fake = sync time / baseline time.
func BenchmarkSync(b *testing.B) {
	f := newFake(b)
	f.populate(5000, 500)
	const apiMinimum = 1 + 1 + 1 + 3 + 1 + 5 + 500 // token, users page, export create, 3 polls, download, roles, members
	var ours, base time.Duration
	requests := 0
	for b.Loop() {
		f.reset()
		p := newTestProvider(b, f.options(), fast)
		start := time.Now()
		res, err := p.Sync(context.Background(), nil)
		ours += time.Since(start)
		if err != nil || len(res.Users) != 5000 {
			b.Fatal(err)
		}
		requests = f.total()
		f.mu.Lock()
		log, token := f.log, f.token
		f.mu.Unlock()

		b.StopTimer()
		start = time.Now()
		replay(b, f.api.URL, token, log)
		base += time.Since(start)
		b.StartTimer()
	}
	b.ReportMetric(float64(requests), "requests")
	b.ReportMetric(apiMinimum, "api_minimum")
	b.ReportMetric(ours.Seconds()/base.Seconds(), "x_vs_fake")
}

// replay makes the logged requests with a plain client and discards the bodies.
func replay(b *testing.B, apiURL, token string, log []string) {
	hc := &http.Client{}
	for _, line := range log {
		method, target, _ := strings.Cut(line, " ")
		if !strings.HasPrefix(target, "http") {
			target = apiURL + target
		}
		var body io.Reader
		if method == http.MethodPost {
			body = bytes.NewReader(exportRequest)
		}
		req, err := http.NewRequest(method, target, body)
		if err != nil {
			b.Fatal(err)
		}
		if strings.HasPrefix(target, apiURL) {
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			b.Fatalf("%s: HTTP %d", line, resp.StatusCode)
		}
	}
}
