package postgres

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store"
)

// Snapshot implements store.Store in one REPEATABLE READ, read-only transaction: meta and
// the records are read in its one snapshot, which holds a prefix of the versions (see
// apply.go). Rows stream from the server as fn consumes them, in binary, and Record.Data
// points into the driver's read buffer, which is why it is valid only during fn.
//
// The scan follows the primary key, one range per (type, directory) of the filter, so that
// records arrive in order without a sort and the first one arrives at once however many
// follow; sorts are disabled in the transaction so that the planner never prefers one. A
// snapshot whose connection is lost before fn has seen a record is retried once.
func (s *Store) Snapshot(ctx context.Context, f store.Filter, fn func(store.Record) error) (store.Versions, error) {
	if err := s.ready(ctx); err != nil {
		return store.Versions{}, err
	}
	called := false // once fn has seen a record, a retry would show it again
	var stop error  // fn's error, returned as it is
	counted := func(r store.Record) error {
		called = true
		stop = fn(r)
		return stop
	}
	var v store.Versions
	err := s.retry(ctx, func() (err error) {
		if v, err = s.snapshot(ctx, f, counted); err != nil && called {
			return final{err}
		}
		return err
	})
	if stop != nil {
		return store.Versions{}, stop
	}
	if err != nil {
		return store.Versions{}, s.fail("snapshot", err)
	}
	return v, nil
}

func (s *Store) snapshot(ctx context.Context, f store.Filter, fn func(store.Record) error) (store.Versions, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return store.Versions{}, err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if _, err := tx.Exec(ctx, `SET LOCAL enable_sort = off`); err != nil {
		return store.Versions{}, err
	}
	v, err := readVersions(ctx, tx)
	if err != nil {
		return store.Versions{}, err
	}
	types, dirs := filterKeys(f)
	if (len(f.Types) > 0 && len(types) == 0) || (len(f.Directories) > 0 && len(dirs) == 0) {
		return v, nil // nothing can match
	}
	if len(dirs) > 0 && len(types) == 0 {
		if types, err = storedTypes(ctx, tx); err != nil {
			return store.Versions{}, err
		}
	}
	sc := scan{ctx: ctx, tx: tx, fn: fn}
	switch {
	case len(types) == 0:
		err = sc.run(`SELECT version, type, directory, id, data FROM dirsync.records ORDER BY type, directory, id`)
	case len(dirs) == 0:
		for _, t := range types {
			if err = sc.run(`SELECT version, type, directory, id, data FROM dirsync.records
				WHERE type = $1 ORDER BY type, directory, id`, t); err != nil {
				break
			}
		}
	default:
		for _, t := range types {
			for _, d := range dirs {
				if err = sc.run(`SELECT version, type, directory, id, data FROM dirsync.records
					WHERE type = $1 AND directory = $2 ORDER BY type, directory, id`, t, d); err != nil {
					return store.Versions{}, err
				}
			}
		}
	}
	if err != nil {
		return store.Versions{}, err
	}
	return v, nil
}

// filterKeys returns the filter's types and storable directories, sorted, without duplicates.
func filterKeys(f store.Filter) ([]int32, []string) {
	var types []int32
	for _, t := range f.Types {
		types = append(types, int32(t))
	}
	var dirs []string
	for _, d := range f.Directories {
		if storable(d) {
			dirs = append(dirs, d)
		}
	}
	slices.Sort(types)
	slices.Sort(dirs)
	return slices.Compact(types), slices.Compact(dirs)
}

// storedTypes returns the types that have records, in order, by skipping through the
// primary key (a loose index scan) rather than reading every record.
func storedTypes(ctx context.Context, tx pgx.Tx) ([]int32, error) {
	rows, err := tx.Query(ctx, `
		WITH RECURSIVE t(type) AS (
			SELECT min(type) FROM dirsync.records
			UNION ALL
			SELECT (SELECT min(type) FROM dirsync.records WHERE type > t.type) FROM t WHERE t.type IS NOT NULL
		) SELECT type FROM t WHERE type IS NOT NULL`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int32])
}

// scan streams the records of queries of one Snapshot to fn.
type scan struct {
	ctx context.Context
	tx  pgx.Tx
	fn  func(store.Record) error
	dir string // the directory of the last record, reused while it repeats
}

// run runs one query whose columns are version, type, directory, id, data. When fn stops
// the scan early, run cancels the query's context, which makes the driver drop the connection
// instead of reading the rest of the result to reuse it.
func (sc *scan) run(sql string, args ...any) error {
	ctx, cancel := context.WithCancel(sc.ctx)
	defer cancel()
	rows, err := sc.tx.Query(ctx, sql, append([]any{pgx.QueryResultFormats{1, 1, 1, 1, 1}}, args...)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		raw := rows.RawValues()
		r, err := decodeRow(raw[0], raw[1], raw[2], raw[3], raw[4], &sc.dir)
		if err == nil {
			err = sc.fn(r)
		}
		if err != nil {
			cancel()
			return err
		}
	}
	return rows.Err()
}

// decodeRow decodes the binary columns of a record or change. Data aliases data. dir is the
// directory of the previous row, reused to save an allocation when it is the same.
func decodeRow(version, typ, directory, id, data []byte, dir *string) (store.Record, error) {
	if len(version) != 8 || len(typ) != 4 || directory == nil || id == nil || data == nil {
		return store.Record{}, fmt.Errorf("unexpected row encoding (version %d bytes, type %d bytes)", len(version), len(typ))
	}
	if string(directory) != *dir {
		*dir = string(directory)
	}
	return store.Record{
		Version:   be64(version),
		Type:      dirsyncv1.RecordType(int32(binary.BigEndian.Uint32(typ))),
		Directory: *dir,
		ID:        string(id),
		Data:      data[:len(data):len(data)],
	}, nil
}

func be64(b []byte) uint64 {
	if len(b) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}
