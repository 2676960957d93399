package providertest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/dirsync/dirsync/providers"
)

// Bench is one provider benchmark for BenchmarkSync.
type Bench struct {
	// New returns a fresh provider. BenchmarkSync builds one per sync, outside the timing, so
	// that every sync starts the way dirsyncd's first does (its token requests count).
	New func(b *testing.B) providers.Provider
	// Servers are the fake's servers (all of them: token, API, downloads).
	Servers []*Server
	// Concurrency is the most requests the provider runs at once (its max_concurrency).
	Concurrency int
	// MinRequests is the fewest requests the vendor's API allows for the directory,
	// computed by the test from the fake's data.
	MinRequests int
	// Users and Groups are how many records every sync must read.
	Users, Groups int
}

// BenchmarkSync runs full syncs of bc's provider against its fake over loopback and, in the
// same process, the baseline: the very requests each sync made (method, URL, headers, body,
// as the fake recorded them) sent again to the same fake by a plain http.Client with as
// many in flight as the provider allows, bodies discarded — the time the fake alone needs
// to serve them. Every provider benchmark reports the same metrics:
//
//	requests/op   requests the provider made per sync
//	min_requests  the API's minimum for the directory (bc.MinRequests)
//	sync_ms/op    the sync's wall time
//	fake_ms/op    the baseline's wall time
//	x_vs_fake     sync time / baseline time
//
// ns/op covers both sides and building the provider. A sync that fails or reads other counts, and a replayed request
// answered with another status than the sync got, fail the benchmark.
func BenchmarkSync(b *testing.B, bc Bench) {
	b.Helper()
	if bc.Concurrency < 1 {
		b.Fatalf("Bench.Concurrency is %d: give the provider's max_concurrency", bc.Concurrency)
	}
	rec := &recording{}
	for _, s := range bc.Servers {
		s.recordTo(rec)
		defer s.recordTo(nil)
	}
	once := func() (synced, replayed time.Duration, requests int) {
		p := bc.New(b)
		rec.take()
		start := time.Now()
		res, err := p.Sync(context.Background(), nil)
		synced = time.Since(start)
		if err != nil {
			b.Fatalf("sync: %v", err)
		}
		if len(res.Users) != bc.Users || len(res.Groups) != bc.Groups {
			b.Fatalf("sync read %d users and %d groups, want %d and %d", len(res.Users), len(res.Groups), bc.Users, bc.Groups)
		}
		made := rec.take()
		start = time.Now()
		replay(b, made, bc.Concurrency)
		replayed = time.Since(start)
		rec.take() // the replay's own requests
		return synced, replayed, len(made)
	}
	once() // warms the fake's caches for both sides

	var syncTime, fakeTime time.Duration
	requests := 0
	for b.Loop() {
		s, f, n := once()
		syncTime += s
		fakeTime += f
		requests += n
	}
	n := float64(b.N)
	b.ReportMetric(float64(requests)/n, "requests/op")
	b.ReportMetric(float64(bc.MinRequests), "min_requests")
	b.ReportMetric(float64(syncTime.Microseconds())/1e3/n, "sync_ms/op")
	b.ReportMetric(float64(fakeTime.Microseconds())/1e3/n, "fake_ms/op")
	b.ReportMetric(syncTime.Seconds()/fakeTime.Seconds(), "x_vs_fake")
}

// replay sends requests with a plain http.Client, workers at a time, and discards the
// bodies. A request answered with another status than the recorded one is an error.
func replay(b *testing.B, requests []Request, workers int) {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = workers
	client := &http.Client{Transport: transport}
	defer client.CloseIdleConnections()
	next := make(chan Request)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for r := range next {
				if err := send(client, r); err != nil {
					b.Error(err)
				}
			}
		})
	}
	for _, r := range requests {
		next <- r
	}
	close(next)
	wg.Wait()
}

func send(client *http.Client, r Request) error {
	req, err := http.NewRequest(r.Method, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return err
	}
	req.Header = r.Header.Clone()
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != r.Status {
		return fmt.Errorf("baseline %s %s: HTTP %d, the sync got %d", r.Method, r.URL, resp.StatusCode, r.Status)
	}
	return nil
}
