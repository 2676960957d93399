package server

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/dirsync/dirsync/store"
)

// streamMetrics records the Sync and SyncLatest streams and the store's versions:
//
//	dirsync.stream.subscribers            up-down counter {rpc}   open streams
//	dirsync.stream.records.sent           counter {rpc}           records sent
//	dirsync.stream.send_timeouts          counter {rpc}           streams ended because a send stayed blocked
//	dirsync.stream.lag                    gauge                   records the furthest-behind Sync stream trails the store
//	dirsync.store.version.latest/earliest gauges                  the store's record_version range
//
// A nil *streamMetrics records nothing.
type streamMetrics struct {
	subscribers  metric.Int64UpDownCounter
	sent         metric.Int64Counter
	sendTimeouts metric.Int64Counter

	mu      sync.Mutex
	cursors map[*atomic.Uint64]struct{}
}

func newStreamMetrics(mp metric.MeterProvider, st store.Store, bc func() *broadcaster) (*streamMetrics, error) {
	m := mp.Meter("github.com/dirsync/dirsync/server")
	sm := &streamMetrics{cursors: map[*atomic.Uint64]struct{}{}}
	var err error
	if sm.subscribers, err = m.Int64UpDownCounter("dirsync.stream.subscribers", metric.WithUnit("{stream}"),
		metric.WithDescription("Open Sync and SyncLatest streams.")); err != nil {
		return nil, err
	}
	if sm.sent, err = m.Int64Counter("dirsync.stream.records.sent", metric.WithUnit("{record}"),
		metric.WithDescription("Records sent on Sync and SyncLatest streams.")); err != nil {
		return nil, err
	}
	if sm.sendTimeouts, err = m.Int64Counter("dirsync.stream.send_timeouts", metric.WithUnit("{stream}"),
		metric.WithDescription("Streams ended because one send stayed blocked longer than send_timeout.")); err != nil {
		return nil, err
	}
	lag, err := m.Int64ObservableGauge("dirsync.stream.lag", metric.WithUnit("{record}"),
		metric.WithDescription("Records between the store's latest version and the furthest-behind Sync stream."))
	if err != nil {
		return nil, err
	}
	latest, err := m.Int64ObservableGauge("dirsync.store.version.latest", metric.WithUnit("{version}"),
		metric.WithDescription("The store's latest record_version."))
	if err != nil {
		return nil, err
	}
	earliest, err := m.Int64ObservableGauge("dirsync.store.version.earliest", metric.WithUnit("{version}"),
		metric.WithDescription("The store's earliest resumable record_version."))
	if err != nil {
		return nil, err
	}
	_, err = m.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		if b := bc(); b != nil {
			o.ObserveInt64(lag, int64(sm.maxLag(b.latest())))
		}
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		v, err := st.Versions(ctx)
		if err != nil {
			return nil // the scrape goes on without the store gauges; /readyz reports the store
		}
		o.ObserveInt64(latest, int64(v.Latest))
		o.ObserveInt64(earliest, int64(v.Earliest))
		return nil
	}, lag, latest, earliest)
	return sm, err
}

// opened counts a stream of rpc until the returned function is called.
func (m *streamMetrics) opened(ctx context.Context, rpc string) func() {
	if m == nil {
		return func() {}
	}
	attrs := metric.WithAttributes(attribute.String("rpc", rpc))
	m.subscribers.Add(ctx, 1, attrs)
	return func() { m.subscribers.Add(context.WithoutCancel(ctx), -1, attrs) }
}

func (m *streamMetrics) recordsSent(ctx context.Context, rpc string, n int) {
	if m != nil && n > 0 {
		m.sent.Add(ctx, int64(n), metric.WithAttributes(attribute.String("rpc", rpc)))
	}
}

func (m *streamMetrics) sendTimedOut(ctx context.Context, rpc string) {
	if m != nil {
		m.sendTimeouts.Add(context.WithoutCancel(ctx), 1, metric.WithAttributes(attribute.String("rpc", rpc)))
	}
}

// follow registers a Sync stream's cursor for the lag gauge until the returned function is
// called.
func (m *streamMetrics) follow(cursor *atomic.Uint64) func() {
	if m == nil {
		return func() {}
	}
	m.mu.Lock()
	m.cursors[cursor] = struct{}{}
	m.mu.Unlock()
	return func() {
		m.mu.Lock()
		delete(m.cursors, cursor)
		m.mu.Unlock()
	}
}

func (m *streamMetrics) maxLag(head uint64) uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	var lag uint64
	for c := range m.cursors {
		if v := c.Load(); v < head {
			lag = max(lag, head-v)
		}
	}
	return lag
}

// latest is the highest version the broadcaster has read from the store.
func (b *broadcaster) latest() uint64 {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.head
}
