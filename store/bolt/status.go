package bolt

import (
	"bytes"
	"context"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"github.com/dirsync/dirsync/store"
)

// PutStatus implements store.Store.
func (s *Store) PutStatus(ctx context.Context, directory string, status []byte) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	if directory == "" {
		return fmt.Errorf("%w: status of an empty directory name", store.ErrInvalid)
	}
	return fail(s.db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketStatuses).Put([]byte(directory), bytes.Clone(status))
	}))
}

// Statuses implements store.Store.
func (s *Store) Statuses(ctx context.Context) (map[string][]byte, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	out := make(map[string][]byte)
	err := s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketStatuses).ForEach(func(k, v []byte) error {
			out[string(k)] = append([]byte{}, v...)
			return nil
		})
	})
	if err != nil {
		return nil, fail(err)
	}
	return out, nil
}
