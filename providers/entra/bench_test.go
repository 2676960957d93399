package entra

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkFullSync: a full sync of 10,000 users and 1,000 groups against the fake on
// loopback, against the baseline of fetching the same pages with a plain http.Client and
// discarding them (the fake alone, with the same two collections read concurrently).
// Reports requests made against the API minimum, and the wall-time ratio x_vs_fake.
func BenchmarkFullSync(b *testing.B) {
	f := newFakeEntra(b)
	users, groups, members := bigDirectory(f)
	p := newTestProvider(b, f.options())
	ctx := context.Background()
	if _, err := p.Sync(ctx, nil); err != nil { // fetches the token; records the page URLs
		b.Fatal(err)
	}
	f.mu.Lock()
	chains := map[string][]string{}
	for _, u := range f.urls {
		coll := strings.SplitN(strings.TrimPrefix(u, "/v1.0/"), "/", 2)[0]
		chains[coll] = append(chains[coll], f.graph.URL+u)
	}
	var token string
	for t := range f.tokens {
		token = t
	}
	f.mu.Unlock()
	minimum := 1 + ceilDiv(users, 999) + ceilDiv(groups+members, 999)

	hc := &http.Client{}
	fetch := func(urls []string) {
		for _, u := range urls {
			req, _ := http.NewRequest(http.MethodGet, u, nil)
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Prefer", maxPageSize)
			resp, err := hc.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("baseline GET %s: HTTP %d", u, resp.StatusCode)
			}
		}
	}
	var provider, fake time.Duration
	var requests int
	b.ResetTimer()
	for b.Loop() {
		f.resetCounts()
		start := time.Now()
		if _, err := p.Sync(ctx, nil); err != nil {
			b.Fatal(err)
		}
		provider += time.Since(start)
		requests += f.count("users") + f.count("groups") + f.count("token") + 1 // the token cached since the first run

		start = time.Now()
		var wg sync.WaitGroup
		for _, urls := range chains {
			wg.Go(func() { fetch(urls) })
		}
		wg.Wait()
		fake += time.Since(start)
	}
	b.ReportMetric(float64(requests)/float64(b.N), "requests/op")
	b.ReportMetric(float64(minimum), "api_min_requests")
	b.ReportMetric(provider.Seconds()/float64(b.N), "provider_s/op")
	b.ReportMetric(fake.Seconds()/float64(b.N), "fake_s/op")
	b.ReportMetric(float64(provider)/float64(fake), "x_vs_fake")
}
