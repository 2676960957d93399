package postgres

import (
	"context"
	"fmt"

	"github.com/dirsync/dirsync/store"
)

// PutStatus implements store.Store: one upsert, idempotent, so retry may repeat it.
func (s *Store) PutStatus(ctx context.Context, directory string, status []byte) error {
	if directory == "" || !storable(directory) {
		return fmt.Errorf("%w: status of directory %q: empty, not UTF-8 or holds a NUL byte", store.ErrInvalid, directory)
	}
	if err := s.ready(ctx); err != nil {
		return err
	}
	if status == nil {
		status = []byte{}
	}
	err := s.retry(ctx, func() error {
		_, err := s.pool.Exec(ctx, `
			INSERT INTO dirsync.statuses (directory, status) VALUES ($1, $2)
			ON CONFLICT (directory) DO UPDATE SET status = excluded.status`, directory, status)
		return err
	})
	return s.fail("put status", err)
}

// Statuses implements store.Store.
func (s *Store) Statuses(ctx context.Context) (map[string][]byte, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	var out map[string][]byte
	err := s.retry(ctx, func() error {
		out = make(map[string][]byte)
		rows, err := s.pool.Query(ctx, `SELECT directory, status FROM dirsync.statuses`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var dir string
			var st []byte
			if err := rows.Scan(&dir, &st); err != nil {
				return err
			}
			out[dir] = st
		}
		return rows.Err()
	})
	if err != nil {
		return nil, s.fail("read statuses", err)
	}
	return out, nil
}
