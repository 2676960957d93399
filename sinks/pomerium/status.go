package pomerium

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// SinkType is the configuration's name of this sink type.
const SinkType = "pomerium_databroker"

// tracker holds the sink's status, which the sink's goroutine writes and Status reads.
type tracker struct {
	mu sync.Mutex
	st *dirsyncv1.SinkStatus
	// pos is the version up to which every change has been pushed, also while the saved
	// checkpoint lags behind it; leading is false on a standby replica.
	pos     uint64
	leading bool
}

func (t *tracker) update(fn func(st *dirsyncv1.SinkStatus)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fn(t.st)
}

// Status returns the sink's status. The lag comes from the store: how many versions it holds
// past the pushed one and how long ago the first of those committed. On a standby replica
// the pushed version is the checkpoint the lease holder saved last.
func (s *Sink) Status() *dirsyncv1.SinkStatus {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.track.mu.Lock()
	st := proto.Clone(s.track.st).(*dirsyncv1.SinkStatus)
	pos, leading := s.track.pos, s.track.leading
	s.track.mu.Unlock()
	if !leading {
		if cp, err := loadCheckpoint(ctx, s.st, s.cfg.Name); err == nil {
			pos = cp.Version
		}
	}
	st.LastPushedVersion = pos
	st.LagVersions, st.LagSeconds = s.lag(ctx, pos)
	return st
}

// lag returns how far the store is ahead of pos, in versions and in seconds since the first
// change past pos committed; zeros when the store cannot be read.
func (s *Sink) lag(ctx context.Context, pos uint64) (uint64, float64) {
	v, err := s.st.Versions(ctx)
	if err != nil || v.Latest <= pos {
		return 0, 0
	}
	changes, err := s.st.Changes(ctx, pos, 1)
	if err != nil || len(changes) == 0 {
		return v.Latest - pos, 0
	}
	rec, err := changes[0].Decode()
	if err != nil {
		return v.Latest - pos, 0
	}
	return v.Latest - pos, max(0, s.now().Sub(rec.GetModifiedAt().AsTime()).Seconds())
}

// setState records what the sink does now.
func (s *Sink) setState(state dirsyncv1.SinkState) {
	s.track.update(func(st *dirsyncv1.SinkStatus) { st.State = state })
}

// failed records a failed attempt.
func (s *Sink) failed(ctx context.Context, err error) {
	s.track.update(func(st *dirsyncv1.SinkStatus) {
		st.State = dirsyncv1.SinkState_SINK_STATE_BACKING_OFF
		st.LastError = err.Error()
	})
	s.metrics.errors.Add(ctx, 1, s.metrics.attrs)
}

// pushed records a successful Put of n records.
func (s *Sink) pushed(n int) {
	s.track.update(func(st *dirsyncv1.SinkStatus) {
		st.RecordsPushed += int64(n)
		st.LastPush = timestamppb.New(s.now())
		st.LastError = ""
	})
	s.metrics.records.Add(context.Background(), int64(n), s.metrics.attrs)
}

// advanced records that every change up to pos has been pushed.
func (s *Sink) advanced(pos uint64) {
	s.track.mu.Lock()
	s.track.pos = pos
	s.track.mu.Unlock()
}

// metrics are the sink's OpenTelemetry instruments.
type metrics struct {
	attrs interface {
		metric.AddOption
		metric.ObserveOption
	}
	records metric.Int64Counter
	errors  metric.Int64Counter
	reg     metric.Registration
}

// newMetrics creates the sink's instruments on the configured meter provider. Creating an
// instrument fails only for an invalid name; those errors are reported and the no-op
// instrument returned in their place is used.
func (s *Sink) newMetrics() {
	m := s.cfg.MeterProvider.Meter("github.com/dirsync/dirsync/sinks/pomerium")
	s.metrics.attrs = metric.WithAttributeSet(attribute.NewSet(attribute.String("sink", s.cfg.Name)))
	var err error
	report := func(e error) {
		if e != nil && err == nil {
			err = e
		}
	}
	var e error
	s.metrics.records, e = m.Int64Counter("dirsync.sink.records_pushed", metric.WithUnit("{record}"),
		metric.WithDescription("Records (upserts and deletions) a sink has written to its target."))
	report(e)
	s.metrics.errors, e = m.Int64Counter("dirsync.sink.push_errors", metric.WithUnit("{error}"),
		metric.WithDescription("Failed sink attempts (after the bounded retries of a push or reconciliation)."))
	report(e)
	lagV, e := m.Int64ObservableGauge("dirsync.sink.lag_versions", metric.WithUnit("{version}"),
		metric.WithDescription("Record versions the store holds beyond what a sink has pushed."))
	report(e)
	lagS, e := m.Float64ObservableGauge("dirsync.sink.lag_seconds", metric.WithUnit("s"),
		metric.WithDescription("Age of the oldest change a sink has not pushed yet."))
	report(e)
	s.metrics.reg, e = m.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		s.track.mu.Lock()
		pos, leading := s.track.pos, s.track.leading
		s.track.mu.Unlock()
		if !leading {
			return nil
		}
		v, sec := s.lag(ctx, pos)
		o.ObserveInt64(lagV, int64(v), s.metrics.attrs)
		o.ObserveFloat64(lagS, sec, s.metrics.attrs)
		return nil
	}, lagV, lagS)
	report(e)
	if err != nil {
		s.log.Warn("cannot create the sink's metrics", "err", err)
	}
}
