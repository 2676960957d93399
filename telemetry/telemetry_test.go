package telemetry

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace/noop"
)

// TestMetricsEndpoint: an instrument of the MeterProvider is served on /metrics in the
// Prometheus format, with units and counter suffixes.
func TestMetricsEndpoint(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	tel, err := New(ctx, Config{})
	require.NoError(t, err)
	_, off := tel.TracerProvider.(noop.TracerProvider)
	require.True(t, off, "no endpoint, no tracing")
	c, err := tel.MeterProvider.Meter("test").Int64Counter("dirsync.test.events")
	require.NoError(t, err)
	c.Add(ctx, 3)

	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- tel.Serve(ctx, lis) }()
	resp, err := http.Get("http://" + lis.Addr().String() + "/metrics")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Contains(t, string(body), "dirsync_test_events_total{")
	require.Contains(t, string(body), "go_goroutines")
	cancel()
	require.NoError(t, <-done)
	require.NoError(t, tel.Shutdown(context.Background()))
}

// TestTracingProvider: an OTLP endpoint turns on a sampling TracerProvider; nothing is
// dialed until spans are exported.
func TestTracingProvider(t *testing.T) {
	tel, err := New(context.Background(), Config{OTLPEndpoint: "127.0.0.1:1", OTLPInsecure: true, SampleRatio: 1})
	require.NoError(t, err)
	_, span := tel.TracerProvider.Tracer("test").Start(context.Background(), "op")
	require.True(t, span.SpanContext().IsSampled())
	span.End()
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // do not wait for the unreachable collector
	_ = tel.Shutdown(ctx)
}
