package syncer

import (
	"context"
	"errors"
	"fmt"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store"
)

// Purge deletes every user and group of a directory that is not configured, in one batch
// (tombstones), together with its saved cursor, and returns how many records it deleted and
// the store's record_version after. It holds the directory's lease meanwhile, so it never
// races a syncer of another process that still has the directory configured.
//
// Errors: ErrConfigured for a configured directory; ErrUnknownDirectory when the store has
// neither records nor a cursor of it; ErrNotLeader when another process holds its lease.
func (s *Syncer) Purge(ctx context.Context, dir string) (int, uint64, error) {
	if s.Configured(dir) {
		return 0, 0, fmt.Errorf("directory %q: %w", dir, ErrConfigured)
	}
	if dir == "" {
		return 0, 0, fmt.Errorf("directory %q: %w", dir, ErrUnknownDirectory)
	}
	log := s.log.With("directory", dir)
	name := leaseName(dir)
	ok, err := s.st.AcquireLease(ctx, name, s.holder, s.ttl)
	switch {
	case err != nil:
		return 0, 0, fmt.Errorf("purge directory %q: acquire lease: %w", dir, err)
	case !ok:
		return 0, 0, fmt.Errorf("directory %q: %w", dir, ErrNotLeader)
	}
	defer func() {
		if err := s.st.ReleaseLease(context.WithoutCancel(ctx), name, s.holder); err != nil {
			log.Warn("cannot release the lease after a purge", "err", err)
		}
	}()

	var recs []*dirsyncv1.Record
	if _, err := s.st.Snapshot(ctx, syncedFilter(dir), func(r store.Record) error {
		recs = append(recs, &dirsyncv1.Record{Type: r.Type, Directory: dir, Id: r.ID, Deleted: true})
		return nil
	}); err != nil {
		return 0, 0, fmt.Errorf("purge directory %q: %w", dir, err)
	}
	_, err = s.st.Cursor(ctx, dir)
	switch {
	case errors.Is(err, store.ErrNotFound) && len(recs) == 0:
		return 0, 0, fmt.Errorf("directory %q: %w", dir, ErrUnknownDirectory)
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return 0, 0, fmt.Errorf("purge directory %q: %w", dir, err)
	}
	v, err := s.st.Apply(ctx, store.Batch{Directory: dir, Records: recs, SetCursor: true})
	if err != nil {
		return 0, 0, fmt.Errorf("purge directory %q: %w", dir, err)
	}
	log.Info("directory purged", "deleted", len(recs), "record_version", v.Latest)
	return len(recs), v.Latest, nil
}
