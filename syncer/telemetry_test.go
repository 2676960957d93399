package syncer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	otelcodes "go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/telemetry"
)

// lockedBuffer collects log output from the loop goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) lines(t *testing.T) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(l.b.Bytes()), []byte("\n")) {
		var m map[string]any
		require.NoError(t, json.Unmarshal(line, &m))
		out = append(out, m)
	}
	return out
}

// points returns the data points of metric name by their attribute set's encoding.
func points(t *testing.T, reader sdkmetric.Reader, name string) map[string]float64 {
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	out := map[string]float64{}
	enc := attribute.DefaultEncoder()
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					out[p.Attributes.Encoded(enc)] = float64(p.Value)
				}
			case metricdata.Gauge[int64]:
				for _, p := range d.DataPoints {
					out[p.Attributes.Encoded(enc)] = float64(p.Value)
				}
			case metricdata.Gauge[float64]:
				for _, p := range d.DataPoints {
					out[p.Attributes.Encoded(enc)] = p.Value
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					out[p.Attributes.Encoded(enc)] = float64(p.Count)
				}
			}
		}
	}
	return out
}

// TestRunTelemetry: a successful and a failed run show in the metrics, as spans (the store
// write a child of its run), and in logs that carry the run id and the trace id.
func TestRunTelemetry(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	var logs lockedBuffer
	log, err := telemetry.NewLogger(&logs, "json", "info")
	require.NoError(t, err)

	users, groups := fixture()
	src := newSource(full(users, groups, "c1"))
	s := New(newStore(t), []Directory{testDir(src)}, Options{Log: log, MeterProvider: mp, TracerProvider: tp})
	start(t, s)
	first := firstRun(t, s)
	src.set(func(context.Context, []byte) (*providers.Result, error) { return nil, errors.New("idp down") })
	trigger(t, s, false)

	records := float64(len(users) + len(groups))
	require.Equal(t, map[string]float64{"directory=corp,result=failure": 1, "directory=corp,result=success": 1}, points(t, reader, "dirsync.sync.runs"))
	require.Equal(t, map[string]float64{"directory=corp,result=failure": 1, "directory=corp,result=success": 1}, points(t, reader, "dirsync.sync.duration"))
	require.Equal(t, map[string]float64{"directory=corp": records}, points(t, reader, "dirsync.sync.changes"))
	require.Equal(t, map[string]float64{"directory=corp": 1}, points(t, reader, "dirsync.store.apply.duration"))
	require.Equal(t, map[string]float64{"directory=corp,type=user": float64(len(users)), "directory=corp,type=group": float64(len(groups))},
		points(t, reader, "dirsync.sync.records"))
	require.Equal(t, map[string]float64{"directory=corp": float64(first.LastSuccess.AsTime().UnixNano()) / 1e9},
		points(t, reader, "dirsync.sync.last_success"))

	var runs []sdktrace.ReadOnlySpan
	var apply sdktrace.ReadOnlySpan
	for _, sp := range spans.Ended() {
		switch sp.Name() {
		case "sync.run":
			runs = append(runs, sp)
		case "store.apply":
			apply = sp
		}
	}
	require.Len(t, runs, 2)
	require.NotNil(t, apply)
	require.Equal(t, runs[0].SpanContext().SpanID(), apply.Parent().SpanID(), "the store write is a child of the first run")
	require.Equal(t, otelcodes.Error, runs[1].Status().Code)

	runIDs := map[string]string{} // run id -> trace id
	for _, line := range logs.lines(t) {
		if line["msg"] == "sync started" || line["msg"] == "sync succeeded" || line["msg"] == "sync failed" {
			require.Equal(t, "corp", line["directory"])
			id, _ := line["run_id"].(string)
			require.NotEmpty(t, id, "%v", line)
			if prev, ok := runIDs[id]; ok {
				require.Equal(t, prev, line["trace_id"], "one run, one trace")
			}
			runIDs[id], _ = line["trace_id"].(string)
		}
	}
	require.Len(t, runIDs, 2)
	for _, sp := range runs {
		var id string
		for _, a := range sp.Attributes() {
			if a.Key == "run_id" {
				id = a.Value.AsString()
			}
		}
		require.Equal(t, sp.SpanContext().TraceID().String(), runIDs[id])
	}
}
