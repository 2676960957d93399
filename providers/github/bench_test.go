package github

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/dirsync/dirsync/providers"
)

// BenchmarkFullSync syncs 5,000 members and 500 teams (ten of them with 320 members) from
// the fake over loopback, and in the same process replays the very requests the sync made
// with a plain http.Client, one after the other, discarding the bodies (the baseline: the
// cost of fetching the pages alone). It reports the requests made, the minimum GraphQL
// allows for this directory, and the sync's wall time over the baseline's (x_vs_fake).
func BenchmarkFullSync(b *testing.B) {
	o := bigOrg("acme", 5000, 500, 320)
	f := newFakeGitHub(b, "", o)
	p := testProvider(b, f, Options{Orgs: []string{"acme"}})
	follow := 0
	for _, tm := range o.Teams {
		follow += max(0, ceilDiv(len(tm.Members), 100)-1)
	}
	minimum := ceilDiv(len(o.Members), 100) + ceilDiv(len(o.Teams), 100) + follow
	hc := &http.Client{}
	var syncTime, fetchTime time.Duration
	var requests int
	b.ResetTimer()
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
		for _, r := range recorded {
			req, err := http.NewRequest(r.method, f.srv.URL+r.path, bytes.NewReader(r.body))
			if err != nil {
				b.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+f.token)
			req.Header.Set("Content-Type", "application/json")
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		fetchTime += time.Since(start)
	}
	b.StopTimer()
	b.ReportMetric(float64(requests)/float64(b.N), "requests/op")
	b.ReportMetric(float64(minimum), "min_requests")
	b.ReportMetric(float64(syncTime.Milliseconds())/float64(b.N), "sync_ms/op")
	b.ReportMetric(float64(fetchTime.Milliseconds())/float64(b.N), "fetch_ms/op")
	b.ReportMetric(syncTime.Seconds()/fetchTime.Seconds(), "x_vs_fake")
}
