package apiclient

import (
	"context"
	"strconv"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/dirsync/dirsync/providers"
)

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
