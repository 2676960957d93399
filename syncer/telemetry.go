package syncer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// instruments are the syncer's metrics, per directory:
//
//	dirsync.sync.runs                counter {directory, result}    runs by result (success, failure, blocked)
//	dirsync.sync.duration            histogram s {directory, result}
//	dirsync.sync.changes             counter {directory}            records written by runs
//	dirsync.sync.records             gauge {directory, type}        live users and groups
//	dirsync.sync.last_success        gauge s {directory}            unix time of the last successful run
//	dirsync.store.apply.duration     histogram s {directory}        one run's store write
//
// Provider requests and rate-limit waits are recorded by the providers' HTTP layer.
type instruments struct {
	tracer   trace.Tracer
	runs     metric.Int64Counter
	duration metric.Float64Histogram
	changes  metric.Int64Counter
	apply    metric.Float64Histogram
}

func newInstruments(s *Syncer, mp metric.MeterProvider, tp trace.TracerProvider) (*instruments, error) {
	m := mp.Meter("github.com/dirsync/dirsync/syncer")
	in := &instruments{tracer: tp.Tracer("github.com/dirsync/dirsync/syncer")}
	var err error
	if in.runs, err = m.Int64Counter("dirsync.sync.runs", metric.WithUnit("{run}"),
		metric.WithDescription("Sync runs by result.")); err != nil {
		return nil, err
	}
	if in.duration, err = m.Float64Histogram("dirsync.sync.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of sync runs."),
		metric.WithExplicitBucketBoundaries(0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800)); err != nil {
		return nil, err
	}
	if in.changes, err = m.Int64Counter("dirsync.sync.changes", metric.WithUnit("{record}"),
		metric.WithDescription("Records written (upserts and tombstones) by sync runs.")); err != nil {
		return nil, err
	}
	if in.apply, err = m.Float64Histogram("dirsync.store.apply.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of a sync run's store write."),
		metric.WithExplicitBucketBoundaries(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30)); err != nil {
		return nil, err
	}
	records, err := m.Int64ObservableGauge("dirsync.sync.records", metric.WithUnit("{record}"),
		metric.WithDescription("Live records of each directory by type, as of its last run."))
	if err != nil {
		return nil, err
	}
	lastSuccess, err := m.Float64ObservableGauge("dirsync.sync.last_success", metric.WithUnit("s"),
		metric.WithDescription("Unix time of each directory's last successful run."))
	if err != nil {
		return nil, err
	}
	_, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		for _, st := range s.Status() {
			dir := attribute.String("directory", st.GetDirectory())
			o.ObserveInt64(records, st.GetUsers(), metric.WithAttributes(dir, attribute.String("type", "user")))
			o.ObserveInt64(records, st.GetGroups(), metric.WithAttributes(dir, attribute.String("type", "group")))
			if t := st.GetLastSuccess(); t != nil {
				o.ObserveFloat64(lastSuccess, float64(t.AsTime().UnixNano())/1e9, metric.WithAttributes(dir))
			}
		}
		return nil
	}, records, lastSuccess)
	return in, err
}

// ranOnce records a run's outcome.
func (in *instruments) ranOnce(ctx context.Context, dir, result string, d time.Duration, changes int) {
	ctx = context.WithoutCancel(ctx)
	attrs := metric.WithAttributes(attribute.String("directory", dir), attribute.String("result", result))
	in.runs.Add(ctx, 1, attrs)
	in.duration.Record(ctx, d.Seconds(), attrs)
	if changes > 0 {
		in.changes.Add(ctx, int64(changes), metric.WithAttributes(attribute.String("directory", dir)))
	}
}

// applied records a store write.
func (in *instruments) applied(ctx context.Context, dir string, d time.Duration) {
	in.apply.Record(context.WithoutCancel(ctx), d.Seconds(), metric.WithAttributes(attribute.String("directory", dir)))
}

// newRunID returns a short random id that ties together one run's log lines.
func newRunID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // never fails
	return hex.EncodeToString(b)
}

type runLogKey struct{}

// runLog returns the run's logger stored in ctx by runOnce, or fallback.
func runLog(ctx context.Context, fallback *slog.Logger) *slog.Logger {
	if l, ok := ctx.Value(runLogKey{}).(*slog.Logger); ok {
		return l
	}
	return fallback
}
