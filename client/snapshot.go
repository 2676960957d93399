package client

import (
	"context"
	"fmt"
	"time"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/replica"
)

// snapshot is a complete SyncLatest result in a replica no reader can see yet.
type snapshot struct {
	replica  *replica.Replica
	versions *dirsyncv1.Versions
	count    int
	// records are kept for OnChange only.
	records []*dirsyncv1.Record
	took    time.Duration
}

// loadSnapshot reads a whole SyncLatest stream into a fresh replica, applying each batch as
// it arrives. It fails if the stream ends before the closing Versions.
func (c *Client) loadSnapshot(ctx context.Context) (*snapshot, error) {
	start := time.Now()
	ctx, cancel := context.WithCancel(ctx)
	stream, err := c.sync.SyncLatest(ctx, &dirsyncv1.SyncLatestRequest{Types: c.opts.Types, Directories: c.opts.Directories})
	if err != nil {
		cancel()
		return nil, err
	}
	rd := readStream(stream.Recv, cancel, c.opts.IdleTimeout, nil)
	defer rd.stop()
	s := &snapshot{replica: replica.New()}
	for m := range rd.ch {
		if m.err != nil {
			return nil, fmt.Errorf("SyncLatest after %d records: %w", s.count, m.err)
		}
		recs := m.msg.GetRecords()
		for _, r := range recs {
			if r.GetDeleted() {
				return nil, fmt.Errorf("%w: tombstone of %s %s/%s in a snapshot", errProtocol, r.GetType(), r.GetDirectory(), r.GetId())
			}
		}
		s.replica.Apply(recs, 0)
		s.count += len(recs)
		if c.opts.OnChange != nil {
			s.records = append(s.records, recs...)
		}
		if v := m.msg.GetVersions(); v != nil {
			s.replica.Apply(nil, v.GetLatestRecordVersion())
			s.versions, s.took = v, time.Since(start)
			return s, nil
		}
	}
	return nil, errStreamClosed
}

// install makes a loaded snapshot the replica lookups read, then reports it to OnChange.
func (c *Client) install(s *snapshot) {
	v := s.versions.GetLatestRecordVersion()
	if c.Ready() {
		c.stats.resyncs.Add(1)
	}
	c.stats.serverLatest.Store(v)
	c.stats.appliedAt.Store(time.Now().UnixNano())
	c.stats.records.Add(uint64(s.count))
	c.swap(&view{replica: s.replica, serverVersion: s.versions.GetServerVersion()})
	c.opts.Log.Info("snapshot loaded", "records", s.count, "record_version", v,
		"server_version", s.versions.GetServerVersion(), "took", s.took)
	if c.opts.OnChange == nil {
		return
	}
	c.opts.OnChange(Change{Reset: true, Version: v})
	for _, r := range s.records {
		c.opts.OnChange(Change{Snapshot: true, Version: v, Record: r})
	}
}
