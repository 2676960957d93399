// Package telemetry builds dirsyncd's OpenTelemetry providers — a MeterProvider exposed in
// the Prometheus text format on its own listener, a TracerProvider exporting over OTLP/gRPC
// when an endpoint is configured — and its slog logger, which adds the trace id of the
// context to each record. It defines no metric: each package records its own through the
// provider it is given (or the global one, which Install sets).
package telemetry
