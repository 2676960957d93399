package cognito

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// BenchmarkFullSync reads a 5,000-user, 500-group pool from the fake over loopback and
// compares it with the baseline: a loop that sends the same API requests, each SigV4-signed
// (the least any client must do), with a plain http.Client and discards the bodies.
func BenchmarkFullSync(b *testing.B) {
	f := newFake(b)
	f.directory(5000, 500)
	p, err := newProvider(context.Background(), f.options(), "bench")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()

	// One recorded run gives the requests the baseline sends.
	f.record = true
	if _, err := p.Sync(ctx, nil); err != nil {
		b.Fatal(err)
	}
	f.record = false
	calls := f.served
	total := func() int { return f.count("users") + f.count("groups") + f.count("group members") }

	creds := aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}
	sig := v4.NewSigner()
	hc := &http.Client{}
	var provider, baseline time.Duration
	requests := 0
	b.ResetTimer()
	for range b.N {
		before := total()
		start := time.Now()
		if _, err := p.Sync(ctx, nil); err != nil {
			b.Fatal(err)
		}
		provider += time.Since(start)
		requests += total() - before

		start = time.Now()
		for _, c := range calls {
			body := []byte(c[1])
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, f.srv.URL+"/", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/x-amz-json-1.1")
			req.Header.Set("X-Amz-Target", c[0])
			sum := sha256.Sum256(body)
			if err := sig.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), service, testRegion, time.Now()); err != nil {
				b.Fatal(err)
			}
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("baseline: HTTP %d", resp.StatusCode)
			}
		}
		baseline += time.Since(start)
	}
	b.StopTimer()
	b.ReportMetric(float64(requests)/float64(b.N), "requests/op")
	b.ReportMetric(float64(minimumRequests(5000, 500, 20)), "min_requests")
	b.ReportMetric(provider.Seconds()/float64(b.N), "sync_s/op")
	b.ReportMetric(baseline.Seconds()/float64(b.N), "fetch_s/op")
	b.ReportMetric(provider.Seconds()/baseline.Seconds(), "x_vs_fake")
}
