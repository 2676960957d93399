package server

import (
	"context"
	"log/slog"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/replica"
	"github.com/dirsync/dirsync/store"
)

// follow keeps rep equal to the store: it loads a snapshot, then applies every change the
// broadcaster reads, until ctx ends. It reloads from a snapshot when its position has been
// compacted away, and retries on store errors (see follower). ready is closed after the
// first load.
func follow(ctx context.Context, st store.Store, bc *broadcaster, rep *replica.Replica, log *slog.Logger, ready chan<- struct{}) {
	f := follower{bc: bc, log: log, what: "replica: following the store",
		resync: func(ctx context.Context) (uint64, error) {
			v, err := loadReplica(ctx, st, rep)
			if err == nil && ready != nil {
				close(ready)
				ready = nil
			}
			return v, err
		},
		apply: func(_ context.Context, changes []store.Record, next uint64) error {
			recs := make([]*dirsyncv1.Record, 0, len(changes))
			for _, c := range changes {
				rec, err := c.Decode()
				if err != nil {
					return err
				}
				recs = append(recs, rec)
			}
			rep.Apply(recs, next)
			return nil
		},
	}
	f.run(ctx)
}

// loadReplica empties rep and fills it from a snapshot of st, and returns the snapshot's version.
func loadReplica(ctx context.Context, st store.Store, rep *replica.Replica) (uint64, error) {
	rep.Reset()
	var batch []*dirsyncv1.Record
	v, err := st.Snapshot(ctx, store.Filter{}, func(r store.Record) error {
		rec, err := r.Decode()
		if err != nil {
			return err
		}
		if batch = append(batch, rec); len(batch) == 10000 {
			rep.Apply(batch, 0)
			batch = batch[:0]
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	rep.Apply(batch, v.Latest)
	return v.Latest, nil
}
