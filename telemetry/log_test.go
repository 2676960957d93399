package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"
)

func TestLoggerAddsTraceID(t *testing.T) {
	var buf bytes.Buffer
	log, err := NewLogger(&buf, "json", "info")
	require.NoError(t, err)
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	ctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid}))
	log.With("directory", "corp").InfoContext(ctx, "sync started", "run_id", "r1")
	log.Debug("hidden")
	log.InfoContext(context.Background(), "no span")

	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	require.Len(t, lines, 2, "debug is below the level")
	var rec map[string]any
	require.NoError(t, json.Unmarshal(lines[0], &rec))
	require.Equal(t, "4bf92f3577b34da6a3ce929d0e0e4736", rec["trace_id"])
	require.Equal(t, "00f067aa0ba902b7", rec["span_id"])
	require.Equal(t, "corp", rec["directory"])
	require.NoError(t, json.Unmarshal(lines[1], &rec))
	require.NotContains(t, string(lines[1]), "trace_id")

	_, err = NewLogger(&buf, "xml", "info")
	require.ErrorContains(t, err, "xml")
	_, err = NewLogger(&buf, "text", "loud")
	require.Error(t, err)
}
