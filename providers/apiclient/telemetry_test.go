package apiclient

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// reader and spans collect the package's metrics and spans: the global providers can be set
// only once.
var (
	reader = sync.OnceValue(func() *sdkmetric.ManualReader {
		r := sdkmetric.NewManualReader()
		otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(r)))
		return r
	})
	spans = sync.OnceValue(func() *tracetest.SpanRecorder {
		r := tracetest.NewSpanRecorder()
		otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(r)))
		return r
	})
)

func TestRequestSpans(t *testing.T) {
	rec := spans()
	s := &script{steps: []func(http.ResponseWriter, *http.Request){
		reply(503, nil, ``), reply(200, nil, `{}`)}}
	dir := fmt.Sprintf("corp-spans-%d", time.Now().UnixNano())
	c := newTestClient(t, s, Config{Directory: dir})
	_, err := c.Get(context.Background(), "group members", "groups/1/users")
	require.NoError(t, err)
	var got []string
	for _, sp := range rec.Ended() {
		for _, a := range sp.Attributes() {
			if a.Key == "directory" && a.Value.AsString() == dir {
				got = append(got, fmt.Sprintf("%s %s", sp.Name(), sp.Status().Code))
			}
		}
	}
	require.Equal(t, []string{"provider group members Error", "provider group members Unset"}, got)
	for _, r := range s.seen {
		require.Empty(t, r.Header.Get("Traceparent"), "no trace context goes to the IdP")
	}
}

func TestRequestMetrics(t *testing.T) {
	before, waitsBefore := collect(t, "corp-metrics")
	s := &script{steps: []func(http.ResponseWriter, *http.Request){
		reply(429, map[string]string{"Retry-After": "0"}, ``), reply(200, nil, `{}`), reply(404, nil, `{}`)}}
	c := newTestClient(t, s, Config{Directory: "corp-metrics"})
	_, err := c.Get(context.Background(), "users", "users")
	require.NoError(t, err)
	_, err = c.Get(context.Background(), "group members", "groups/1/users")
	require.Error(t, err)

	counts, waits := collect(t, "corp-metrics")
	for k, v := range before {
		counts[k] -= v
		if counts[k] == 0 {
			delete(counts, k)
		}
	}
	require.Equal(t, map[[2]string]int64{{"users", "429"}: 1, {"users", "200"}: 1, {"group members", "404"}: 1}, counts)
	require.Equal(t, int64(1), waits-waitsBefore)
}

// collect returns the request counts by endpoint and status, and the rate-limit waits, of
// directory dir so far.
func collect(t *testing.T, dir string) (map[[2]string]int64, int64) {
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader().Collect(context.Background(), &rm))
	counts := map[[2]string]int64{}
	waits := int64(0)
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			sum, ok := m.Data.(metricdata.Sum[int64])
			if !ok {
				continue
			}
			for _, dp := range sum.DataPoints {
				get := func(k string) string { v, _ := dp.Attributes.Value(attribute.Key(k)); return v.AsString() }
				if get("directory") != dir {
					continue
				}
				switch m.Name {
				case "dirsync.provider.requests":
					counts[[2]string{get("endpoint"), get("status")}] += dp.Value
				case "dirsync.provider.rate_limit.waits":
					waits += dp.Value
				}
			}
		}
	}
	return counts, waits
}
