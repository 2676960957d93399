package client

import (
	"context"
	"fmt"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/replica"
)

// follow applies the changes Sync streams after r's version until the stream fails, and
// returns why. It calls received for every message.
func (c *Client) follow(ctx context.Context, r *replica.Replica, serverVersion uint64, received func()) error {
	ctx, cancel := context.WithCancel(ctx)
	stream, err := c.sync.Sync(ctx, &dirsyncv1.SyncRequest{ServerVersion: serverVersion, RecordVersion: r.Version(),
		Types: c.opts.Types, Directories: c.opts.Directories})
	if err != nil {
		cancel()
		return err
	}
	rd := readStream(stream.Recv, cancel, c.opts.IdleTimeout, c.announced)
	defer rd.stop()
	for m := range rd.ch {
		if m.err != nil {
			return fmt.Errorf("Sync: %w", m.err)
		}
		received()
		if err := c.applyChanges(r, m.msg); err != nil {
			return err
		}
	}
	return errStreamClosed
}

// announced notes, as a message arrives, how far the server has got (for LagVersions).
func (c *Client) announced(m *dirsyncv1.SyncResponse) {
	if recs := m.GetRecords(); len(recs) > 0 {
		c.stats.reported(recs[len(recs)-1].GetVersion())
	}
	if cp := m.GetCheckpoint(); cp != nil {
		c.stats.reported(cp.GetLatestRecordVersion())
	}
}

// applyChanges applies one Sync message to r: a batch of changes, whose versions must rise
// above r's, or a checkpoint, which raises r's version. Then it calls OnChange per change.
func (c *Client) applyChanges(r *replica.Replica, m *dirsyncv1.SyncResponse) error {
	recs := m.GetRecords()
	version := r.Version()
	for _, rec := range recs {
		if rec.GetVersion() <= version {
			return fmt.Errorf("%w: change at version %d after version %d", errProtocol, rec.GetVersion(), version)
		}
		version = rec.GetVersion()
	}
	at := lastModified(recs)
	if cp := m.GetCheckpoint(); cp != nil {
		version = max(version, cp.GetLatestRecordVersion())
		at = timeOf(cp.GetTime())
	}
	r.Apply(recs, version)
	c.stats.applied(len(recs), at)
	c.advanced.broadcast()
	if c.opts.OnChange != nil {
		for _, rec := range recs {
			c.opts.OnChange(Change{Version: rec.GetVersion(), Record: rec})
		}
	}
	return nil
}
