package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store"
)

// querier is a pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

const selectVersions = `SELECT server_version, latest, earliest FROM dirsync.meta`

// readVersions reads meta in q's snapshot.
func readVersions(ctx context.Context, q querier) (store.Versions, error) {
	var server, latest, earliest int64
	if err := q.QueryRow(ctx, selectVersions).Scan(&server, &latest, &earliest); err != nil {
		return store.Versions{}, err
	}
	return store.Versions{ServerVersion: u64(server), Latest: u64(latest), Earliest: u64(earliest)}, nil
}

// Versions implements store.Store, reading the database (not this Store's notion of it).
func (s *Store) Versions(ctx context.Context) (store.Versions, error) {
	if err := s.ready(ctx); err != nil {
		return store.Versions{}, err
	}
	var v store.Versions
	err := s.retry(ctx, func() (err error) {
		v, err = readVersions(ctx, s.pool)
		return err
	})
	return v, s.fail("versions", err)
}

// Changes implements store.Store in one statement, so that meta and the changes it returns
// are from one snapshot, which holds a prefix of the versions (see apply.go).
func (s *Store) Changes(ctx context.Context, after uint64, limit int) ([]store.Record, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	var out []store.Record
	err := s.retry(ctx, func() (err error) {
		out, err = s.changes(ctx, after, limit)
		return err
	})
	if err != nil && !errors.Is(err, store.ErrVersionTooOld) {
		return nil, s.fail("changes", err)
	}
	return out, err
}

func (s *Store) changes(ctx context.Context, after uint64, limit int) ([]store.Record, error) {
	var lim *int64
	if limit > 0 {
		n := int64(limit)
		lim = &n
	}
	if after > 1<<63-1 {
		after = 1<<63 - 1 // above any version
	}
	rows, err := s.pool.Query(ctx, `
		SELECT m.earliest, c.version, c.type, c.directory, c.id, c.deleted, c.data
		FROM dirsync.meta m LEFT JOIN LATERAL (
			SELECT * FROM dirsync.changes WHERE version > $1 ORDER BY version LIMIT $2
		) c ON true`, pgx.QueryResultFormats{1, 1, 1, 1, 1, 1, 1}, i64(after), lim)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var (
		out []store.Record
		buf chunks
		dir string
	)
	for rows.Next() {
		raw := rows.RawValues()
		if be64(raw[0]) > after {
			return nil, store.ErrVersionTooOld
		}
		if raw[1] == nil {
			break // no change after after
		}
		r, err := decodeRow(raw[1], raw[2], raw[3], raw[4], raw[6], &dir)
		if err != nil {
			return nil, err
		}
		r.Deleted = len(raw[5]) == 1 && raw[5][0] == 1
		r.Data = append(buf.take(len(r.Data))[:0], r.Data...)
		out = append(out, r)
	}
	return out, rows.Err()
}

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, t dirsyncv1.RecordType, directory, id string) (store.Record, error) {
	if err := s.ready(ctx); err != nil {
		return store.Record{}, err
	}
	if !storable(directory) {
		return store.Record{}, store.ErrNotFound // no batch could have written it
	}
	r := store.Record{Type: t, Directory: directory, ID: id}
	var version int64
	err := s.retry(ctx, func() error {
		return s.pool.QueryRow(ctx, `SELECT version, data FROM dirsync.records WHERE type = $1 AND directory = $2 AND id = $3`,
			int32(t), directory, []byte(id)).Scan(&version, &r.Data)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Record{}, store.ErrNotFound
	}
	if err != nil {
		return store.Record{}, s.fail("get", err)
	}
	r.Version = u64(version)
	return r, nil
}

// Cursor implements store.Store.
func (s *Store) Cursor(ctx context.Context, directory string) ([]byte, error) {
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	if !storable(directory) {
		return nil, store.ErrNotFound
	}
	var c []byte
	err := s.retry(ctx, func() error {
		return s.pool.QueryRow(ctx, `SELECT cursor FROM dirsync.cursors WHERE directory = $1`, directory).Scan(&c)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	return c, s.fail("cursor", err)
}
