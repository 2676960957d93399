package gitlab

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/dirsync/dirsync/providers"
)

// BenchmarkFullSync syncs 5,000 users in 500 groups (ten of them with 320 direct members)
// from the fake over loopback, and in the same process GETs the very URLs the sync
// requested with a plain http.Client, one after the other, discarding the bodies (the
// baseline: the cost of fetching the pages alone). It reports the requests made, the
// minimum the API allows, and the sync's wall time over the baseline's (x_vs_fake).
func BenchmarkFullSync(b *testing.B) {
	o := bigDirectory(5000, 500, 320)
	f := newFakeGitLab(b, o...)
	p := testProvider(b, f, Options{}) // default max_concurrency (4)
	minimum := 0
	for _, n := range minimumRequests(o, true) {
		minimum += n
	}
	hc := &http.Client{}
	var syncTime, fetchTime time.Duration
	var requests int
	for b.Loop() {
		f.resetCounts()
		start := time.Now()
		res, err := p.Sync(providers.WithProgress(context.Background(), &progress{}), nil)
		if err != nil {
			b.Fatal(err)
		}
		syncTime += time.Since(start)
		if len(res.Users) != 5000 || len(res.Groups) != 500 {
			b.Fatalf("read %d users, %d groups", len(res.Users), len(res.Groups))
		}
		f.mu.Lock()
		recorded := f.recorded
		f.mu.Unlock()
		requests += len(recorded)

		start = time.Now()
		for _, uri := range recorded {
			req, err := http.NewRequest(http.MethodGet, f.srv.URL+uri, nil)
			if err != nil {
				b.Fatal(err)
			}
			req.Header.Set("PRIVATE-TOKEN", f.token)
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		fetchTime += time.Since(start)
	}
	b.ReportMetric(float64(requests)/float64(b.N), "requests/op")
	b.ReportMetric(float64(minimum), "min_requests")
	b.ReportMetric(float64(syncTime.Milliseconds())/float64(b.N), "sync_ms/op")
	b.ReportMetric(float64(fetchTime.Milliseconds())/float64(b.N), "fetch_ms/op")
	b.ReportMetric(syncTime.Seconds()/fetchTime.Seconds(), "x_vs_fake")
}
