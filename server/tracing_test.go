package server

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store/memory"
)

// TestTraceThroughGateway: a REST call's W3C traceparent reaches the gRPC server span the
// gateway's call makes, so one trace covers both hops.
func TestTraceThroughGateway(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(t.Context()) })
	ts := startServer(t, memory.New(), Options{TracerProvider: tp})

	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	req, err := http.NewRequest(http.MethodGet, ts.httpURL+"/v1/sync/status", nil)
	require.NoError(t, err)
	req.Header.Set("traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	// The server span may end just after the response has reached the client.
	var kinds []trace.SpanKind
	require.Eventually(t, func() bool {
		kinds = kinds[:0]
		for _, s := range rec.Ended() {
			if s.Name() == dirsyncv1.SyncService_ServiceDesc.ServiceName+"/GetSyncStatus" {
				require.Equal(t, traceID, s.SpanContext().TraceID().String(), "span %s kind %s", s.Name(), s.SpanKind())
				kinds = append(kinds, s.SpanKind())
			}
		}
		return len(kinds) == 2
	}, 10*time.Second, 5*time.Millisecond)
	require.ElementsMatch(t, []trace.SpanKind{trace.SpanKindClient, trace.SpanKindServer}, kinds)
}
