package onelogin

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"
)

// BenchmarkSync reads a 5,000-user / 500-group account from the fake over loopback, with
// group_source groups and roles, and compares it with the baseline: the same requests (as
// the fake logged them) made one after another with a plain http.Client, bodies discarded.
// It reports the requests a sync makes, the API minimum (see TestRequestCount), and
// x_vs_fake = sync time / baseline time.
func BenchmarkSync(b *testing.B) {
	for _, bc := range []struct {
		source  string
		minimum int
	}{{"groups", 1 + 5 + 10}, {"roles", 1 + 5 + 1}} {
		b.Run(bc.source, func(b *testing.B) {
			f := newFake(b)
			f.populate(5000, 500)
			o := f.options()
			o.GroupSource = bc.source
			var ours, base time.Duration
			requests := 0
			for b.Loop() {
				f.reset()
				p := newTestProvider(b, o, fast)
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
				replay(b, f.srv.URL, token, log)
				base += time.Since(start)
				b.StartTimer()
			}
			b.ReportMetric(float64(requests), "requests")
			b.ReportMetric(float64(bc.minimum), "api_minimum")
			b.ReportMetric(ours.Seconds()/base.Seconds(), "x_vs_fake")
		})
	}
}

// replay GETs the logged request URIs with a plain client and discards the bodies.
func replay(b *testing.B, baseURL, token string, log []string) {
	hc := &http.Client{}
	for _, uri := range log {
		req, err := http.NewRequest(http.MethodGet, baseURL+uri, nil)
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("%s: HTTP %d", uri, resp.StatusCode)
		}
	}
}
