package okta

import (
	"context"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"
)

// BenchmarkFullSync10k reads an org of 10,000 users and 1,000 groups from the fake over
// loopback, and in the same process fetches the same page URLs with a plain http.Client
// (as many at once as the provider's default max_concurrency, 4), discarding the bodies:
// the time the fake alone needs to serve them. x_vs_fake is the provider's time over
// that baseline; requests/op against min_requests/op is the request overhead.
func BenchmarkFullSync10k(b *testing.B) {
	f := newFakeOkta(b)
	populate(f, 10000, 1000)
	p := newTest(b, f, tokenAuth(f))
	minimum := 0
	for _, n := range minimumRequests(f) {
		minimum += n
	}
	// One run to learn the URLs (and warm the fake's caches for both sides).
	if _, err := p.Sync(context.Background(), nil); err != nil {
		b.Fatal(err)
	}
	f.mu.Lock()
	urls := append([]string(nil), f.served...)
	f.mu.Unlock()
	f.counts()

	var provider, fake time.Duration
	requests := 0
	for b.Loop() {
		start := time.Now()
		res, err := p.Sync(context.Background(), nil)
		provider += time.Since(start)
		if err != nil || len(res.Users) != 10000 {
			b.Fatalf("sync: %v", err)
		}
		for _, n := range f.counts() {
			requests += n
		}
		start = time.Now()
		fetchAll(b, f.srv.URL, urls, 4)
		fake += time.Since(start)
		f.counts()
	}
	b.ReportMetric(float64(requests)/float64(b.N), "requests/op")
	b.ReportMetric(float64(minimum), "min_requests/op")
	b.ReportMetric(float64(provider.Milliseconds())/float64(b.N), "provider_ms/op")
	b.ReportMetric(float64(fake.Milliseconds())/float64(b.N), "fake_ms/op")
	b.ReportMetric(provider.Seconds()/fake.Seconds(), "x_vs_fake")
}

// fetchAll GETs base+each of urls, workers at a time, and discards the bodies.
func fetchAll(b *testing.B, base string, urls []string, workers int) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	defer client.CloseIdleConnections()
	next := make(chan string)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for u := range next {
				req, _ := http.NewRequest(http.MethodGet, base+u, nil)
				req.Header.Set("Authorization", "SSWS "+testToken)
				req.Header.Set("Accept", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Errorf("%s: HTTP %d", u, resp.StatusCode)
				}
			}
		})
	}
	for _, u := range urls {
		next <- u
	}
	close(next)
	wg.Wait()
}
