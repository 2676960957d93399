package google

import (
	"context"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// BenchmarkFullSync runs a full sync of 10,000 users and 1,000 groups against the fake on
// loopback. It reports the requests made and the API minimum, and the wall time against
// the fake alone: the same page URLs fetched with a plain http.Client by as many workers
// as the provider's max_concurrency, bodies discarded (x_vs_fake = sync time / that).
// ns/op covers both; sync_ms/op and fake_ms/op split it.
func BenchmarkFullSync(b *testing.B) {
	f := newFake(b)
	minimum := bigDirectory(f, 10_000, 1_000)
	p := f.provider(b, nil)
	ctx := context.Background()
	want := 0
	for _, n := range minimum {
		want += n
	}

	// One sync to learn the pages and get a token for the baseline.
	_, err := p.Sync(ctx, nil)
	require.NoError(b, err)
	f.mu.Lock()
	urls := f.served
	var token string
	for tok := range f.tokens {
		token = tok
	}
	f.mu.Unlock()

	var syncNS, fakeNS int64
	requests := 0
	for b.Loop() {
		f.resetCounts()
		p := f.provider(b, nil) // a fresh client: its token request counts
		start := time.Now()
		res, err := p.Sync(ctx, nil)
		syncNS += time.Since(start).Nanoseconds()
		require.NoError(b, err)
		require.Len(b, res.Users, 10_000)
		f.mu.Lock()
		for _, n := range f.counts {
			requests += n
		}
		f.mu.Unlock()

		start = time.Now()
		fetchAll(b, f.srv.URL, token, urls, p.client.Concurrency())
		fakeNS += time.Since(start).Nanoseconds()
	}
	b.ReportMetric(float64(requests)/float64(b.N), "requests/op")
	b.ReportMetric(float64(want), "api_minimum")
	b.ReportMetric(float64(syncNS)/float64(fakeNS), "x_vs_fake")
	b.ReportMetric(float64(syncNS)/float64(b.N)/1e6, "sync_ms/op")
	b.ReportMetric(float64(fakeNS)/float64(b.N)/1e6, "fake_ms/op")
}

// fetchAll GETs every URL with workers goroutines and discards the bodies.
func fetchAll(b *testing.B, base, token string, urls []string, workers int) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	defer client.CloseIdleConnections()
	next := make(chan string)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for u := range next {
				req, _ := http.NewRequest(http.MethodGet, base+u, nil)
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Errorf("GET %s: %s", u, resp.Status)
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
