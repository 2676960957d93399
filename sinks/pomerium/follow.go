package pomerium

import (
	"context"
	"slices"
	"time"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store"
)

// catchUp pushes every change after the checkpoint, in batches of ChangesBatch, advancing
// and saving the checkpoint after each batch that is in the databroker. It returns when the
// store has no more changes; store.ErrVersionTooOld when they have been compacted away.
func (s *Sink) catchUp(ctx context.Context, p *putter) error {
	for {
		changes, err := s.st.Changes(ctx, s.cp.Version, s.cfg.ChangesBatch)
		if err != nil {
			return err
		}
		if len(changes) == 0 {
			return nil
		}
		n := 0
		for _, c := range changes {
			if !s.wants(c.Type, c.Directory) {
				continue
			}
			e, err := decodeEntry(c)
			if err != nil {
				return err
			}
			var deletedAt time.Time
			if c.Deleted {
				rec, err := c.Decode()
				if err != nil {
					return err
				}
				deletedAt = rec.GetModifiedAt().AsTime()
			}
			if err := p.add(ctx, e.record(deletedAt)); err != nil {
				return err
			}
			n++
		}
		if err := p.flush(ctx); err != nil {
			return err
		}
		s.cp.Version = changes[len(changes)-1].Version
		s.advanced(s.cp.Version)
		if err := s.save(ctx, n > 0); err != nil {
			return err
		}
	}
}

// wants reports whether the sink pushes records of type t in directory dir.
func (s *Sink) wants(t dirsyncv1.RecordType, dir string) bool {
	return brokerType(t) != "" && slices.Contains(s.cfg.Directories, dir)
}

// filter selects the sink's records in a store snapshot.
func (s *Sink) filter() store.Filter {
	return store.Filter{Types: []dirsyncv1.RecordType{dirsyncv1.RecordType_RECORD_TYPE_USER, dirsyncv1.RecordType_RECORD_TYPE_GROUP},
		Directories: s.cfg.Directories}
}
