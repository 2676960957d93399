package server

import (
	"context"
	"errors"
	"log/slog"
	"time"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/replica"
	"github.com/dirsync/dirsync/store"
)

// follow keeps rep equal to the store: it loads a snapshot, then applies every change the
// broadcaster reads, until ctx ends. It reloads from a snapshot when its position has been
// compacted away, and retries on store errors. ready is closed after the first load.
func follow(ctx context.Context, st store.Store, bc *broadcaster, rep *replica.Replica, log *slog.Logger, ready chan<- struct{}) {
	retry := time.Duration(0)
	for ctx.Err() == nil {
		err := followOnce(ctx, st, bc, rep, &ready)
		if ctx.Err() != nil {
			return
		}
		retry = min(max(retry*2, 50*time.Millisecond), 5*time.Second)
		log.Error("replica: following the store", "error", err, "retry_in", retry)
		select {
		case <-time.After(retry):
		case <-ctx.Done():
		}
	}
}

func followOnce(ctx context.Context, st store.Store, bc *broadcaster, rep *replica.Replica, ready *chan<- struct{}) error {
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
		return err
	}
	rep.Apply(batch, v.Latest)
	if *ready != nil {
		close(*ready)
		*ready = nil
	}
	cursor := v.Latest
	var changes []store.Record
	for {
		var wake <-chan struct{}
		changes, cursor, wake, err = bc.read(ctx, cursor, store.Filter{}, changes[:0])
		if errors.Is(err, store.ErrVersionTooOld) {
			return err // reload
		}
		if err != nil {
			return err
		}
		if wake != nil {
			select {
			case <-wake:
				continue
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		recs := make([]*dirsyncv1.Record, 0, len(changes))
		for _, c := range changes {
			rec, err := c.Decode()
			if err != nil {
				return err
			}
			recs = append(recs, rec)
		}
		rep.Apply(recs, cursor)
	}
}
