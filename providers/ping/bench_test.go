package ping

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"
)

// BenchmarkFullSync reads a 5,000-user, 500-group environment from the fake over loopback
// and compares it with the baseline: a loop that GETs the same API URLs with a plain
// http.Client and discards the bodies.
func BenchmarkFullSync(b *testing.B) {
	f := newFake(b)
	f.directory(5000, 500)
	p, err := newProvider(f.options(), "bench")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()

	// One recorded run gives the URLs the baseline fetches.
	f.record = true
	if _, err := p.Sync(ctx, nil); err != nil {
		b.Fatal(err)
	}
	f.record = false
	urls := f.served
	f.tokens["bench-token"] = true
	f.counts = map[string]int{}

	var provider, baseline time.Duration
	requests := 0
	hc := &http.Client{}
	b.ResetTimer()
	for range b.N {
		before := f.count("token") + f.count("users") + f.count("groups") + f.count("group nestings")
		start := time.Now()
		if _, err := p.Sync(ctx, nil); err != nil {
			b.Fatal(err)
		}
		provider += time.Since(start)
		requests += f.count("token") + f.count("users") + f.count("groups") + f.count("group nestings") - before

		start = time.Now()
		for _, u := range urls {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.srv.URL+u, nil)
			req.Header.Set("Authorization", "Bearer bench-token")
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		baseline += time.Since(start)
	}
	b.StopTimer()
	b.ReportMetric(float64(requests)/float64(b.N), "requests/op")
	b.ReportMetric(float64(minimumRequests(5000, 500)), "min_requests")
	b.ReportMetric(provider.Seconds()/float64(b.N), "sync_s/op")
	b.ReportMetric(baseline.Seconds()/float64(b.N), "fetch_s/op")
	b.ReportMetric(provider.Seconds()/baseline.Seconds(), "x_vs_fake")
}
