package apiclient

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/dirsync/dirsync/providers"
)

var tracer = otel.Tracer("github.com/dirsync/dirsync/providers/apiclient")

// startSpan starts the span of one try of r, a child of the sync run's span. No trace
// context is sent to the IdP.
func startSpan(ctx context.Context, directory string, r Request) (context.Context, trace.Span) {
	return tracer.Start(ctx, "provider "+r.Endpoint, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("directory", directory), attribute.String("http.request.method", r.Method)))
}

// endSpan records a try's outcome: its HTTP status, or the error that left none.
func endSpan(span trace.Span, status int, err error) {
	if status != 0 {
		span.SetAttributes(attribute.Int("http.response.status_code", status))
	}
	switch {
	case err != nil:
		span.SetStatus(codes.Error, err.Error())
	case status >= 400:
		span.SetStatus(codes.Error, http.StatusText(status))
	}
}

// instruments are the provider request metrics, recorded through the global OpenTelemetry
// MeterProvider (dirsyncd installs the exporter).
type instruments struct {
	requests metric.Int64Counter
	duration metric.Float64Histogram
	waits    metric.Int64Counter
	waited   metric.Float64Counter
}

var meters = sync.OnceValue(func() instruments {
	m := otel.Meter("github.com/dirsync/dirsync/providers/apiclient")
	var in instruments
	in.requests, _ = m.Int64Counter("dirsync.provider.requests",
		metric.WithDescription("Requests made to identity-provider APIs, by directory, endpoint and HTTP status (\"error\" for no response)."),
		metric.WithUnit("{request}"))
	in.duration, _ = m.Float64Histogram("dirsync.provider.request.duration",
		metric.WithDescription("Duration of identity-provider API requests."), metric.WithUnit("s"))
	in.waits, _ = m.Int64Counter("dirsync.provider.rate_limit.waits",
		metric.WithDescription("Waits imposed by identity-provider rate limits."), metric.WithUnit("{wait}"))
	in.waited, _ = m.Float64Counter("dirsync.provider.rate_limit.wait.duration",
		metric.WithDescription("Time spent waiting for identity-provider rate limits."), metric.WithUnit("s"))
	return in
})

// observe records one request in the syncer's progress and in the metrics.
func observe(ctx context.Context, directory, endpoint, status string, d time.Duration) {
	providers.ProgressFrom(ctx).Request()
	in := meters()
	attrs := metric.WithAttributes(attribute.String("directory", directory), attribute.String("endpoint", endpoint),
		attribute.String("status", status))
	in.requests.Add(ctx, 1, attrs)
	in.duration.Record(ctx, d.Seconds(), attrs)
}

// rateLimited records one rate-limit wait.
func rateLimited(ctx context.Context, directory, endpoint string, wait time.Duration) {
	providers.ProgressFrom(ctx).RateLimited(wait)
	in := meters()
	attrs := metric.WithAttributes(attribute.String("directory", directory), attribute.String("endpoint", endpoint))
	in.waits.Add(ctx, 1, attrs)
	in.waited.Add(ctx, wait.Seconds(), attrs)
}

func statusLabel(status int, readErr error) string {
	if readErr != nil {
		return "error"
	}
	return strconv.Itoa(status)
}
