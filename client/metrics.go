package client

import (
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// Metrics is a point-in-time view of a client's progress.
type Metrics struct {
	// Version is the applied record_version (Client.Version).
	Version uint64
	// ServerVersion is the server_version the replica's records come from; 0 before the
	// first snapshot.
	ServerVersion uint64
	// LagVersions is the newest record_version the server has reported (in a checkpoint, a
	// batch, or a snapshot) minus Version: changes received or announced but not applied yet.
	LagVersions uint64
	// LagSeconds is 0 when LagVersions is 0; otherwise it is the age of the newest applied
	// information: now minus the server's commit time of the last applied record, or the
	// time of the last applied checkpoint, whichever came later. It compares the server's
	// clock with the local one.
	LagSeconds float64
	// Reconnects counts streams opened again after a stream ended with an error.
	Reconnects uint64
	// Resyncs counts snapshots loaded because the server aborted Sync (a store reset or a
	// compacted change log); the first snapshot is not counted.
	Resyncs uint64
	// RecordsApplied counts records applied, from snapshots and from Sync.
	RecordsApplied uint64
}

// counters are the client's metric state, written by Run's goroutine and by the stream
// reader, read by Metrics.
type counters struct {
	// serverLatest is the newest version the server has reported for the current replica.
	serverLatest atomic.Uint64
	// appliedAt is the server time, in Unix nanoseconds, of the newest applied record or
	// checkpoint.
	appliedAt                    atomic.Int64
	reconnects, resyncs, records atomic.Uint64
}

// Metrics returns the client's current metrics.
func (c *Client) Metrics() Metrics {
	v := c.current.Load()
	m := Metrics{
		Version:        v.replica.Version(),
		ServerVersion:  v.serverVersion,
		Reconnects:     c.stats.reconnects.Load(),
		Resyncs:        c.stats.resyncs.Load(),
		RecordsApplied: c.stats.records.Load(),
	}
	if latest := c.stats.serverLatest.Load(); latest > m.Version {
		m.LagVersions = latest - m.Version
		if at := c.stats.appliedAt.Load(); at != 0 {
			m.LagSeconds = max(0, time.Since(time.Unix(0, at)).Seconds())
		}
	}
	return m
}

// reported records that the server has announced version v.
func (s *counters) reported(v uint64) {
	for {
		old := s.serverLatest.Load()
		if v <= old || s.serverLatest.CompareAndSwap(old, v) {
			return
		}
	}
}

// applied records that the replica now holds n more records, current as of the server time
// at (unchanged when at is zero).
func (s *counters) applied(n int, at time.Time) {
	s.records.Add(uint64(n))
	if !at.IsZero() {
		s.appliedAt.Store(at.UnixNano())
	}
}

// lastModified returns the commit time of the last record, or the zero time.
func lastModified(recs []*dirsyncv1.Record) time.Time {
	if len(recs) == 0 {
		return time.Time{}
	}
	return timeOf(recs[len(recs)-1].GetModifiedAt())
}

// timeOf converts ts, the zero time when it is missing.
func timeOf(ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	return ts.AsTime()
}
