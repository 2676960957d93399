package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"slices"

	bbolt "go.etcd.io/bbolt"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store"
)

// Snapshot implements store.Store from one read transaction. Record.Data aliases the mapped
// file, which is why it is valid only during fn.
func (s *Store) Snapshot(ctx context.Context, f store.Filter, fn func(store.Record) error) (store.Versions, error) {
	var v store.Versions
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		v = readVersions(tx)
		sc := scanner{ctx: ctx, fn: fn, c: tx.Bucket(bucketRecords).Cursor(), dataOnly: f.DataOnly}
		return sc.run(f)
	})
	if err != nil {
		return store.Versions{}, err
	}
	return v, nil
}

// scanner walks the records bucket for one Snapshot.
type scanner struct {
	ctx context.Context
	fn  func(store.Record) error
	c   *bbolt.Cursor
	n   int
	dir string // the directory of the last record, reused while it repeats
	// dataOnly leaves Type, Directory and ID unset (Filter.DataOnly).
	dataOnly bool
}

// run visits the records matching f in key order: one prefix seek per type and directory.
func (sc *scanner) run(f store.Filter) error {
	var types []byte
	for _, t := range f.Types {
		if b, ok := typeByte(t); ok {
			types = append(types, b)
		}
	}
	if len(f.Types) > 0 && len(types) == 0 {
		return nil
	}
	slices.Sort(types)
	types = slices.Compact(types)
	var dirs []string
	for _, d := range f.Directories {
		if validDirectory(d) {
			dirs = append(dirs, d)
		}
	}
	if len(f.Directories) > 0 && len(dirs) == 0 {
		return nil
	}
	slices.Sort(dirs)
	dirs = slices.Compact(dirs)

	if len(dirs) == 0 && len(types) == 0 {
		return sc.prefix(nil)
	}
	if len(types) == 0 { // every type present in the file
		for k, _ := sc.c.First(); k != nil; k, _ = sc.c.Seek([]byte{k[0] + 1}) {
			types = append(types, k[0])
			if k[0] == 255 {
				break
			}
		}
	}
	for _, t := range types {
		if len(dirs) == 0 {
			if err := sc.prefix([]byte{t}); err != nil {
				return err
			}
		}
		for _, d := range dirs {
			if err := sc.prefix(recordPrefix(t, d)); err != nil {
				return err
			}
		}
	}
	return nil
}

// prefix visits every record whose key starts with p.
func (sc *scanner) prefix(p []byte) error {
	for k, v := sc.c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = sc.c.Next() {
		if sc.n++; sc.n%1024 == 0 {
			if err := sc.ctx.Err(); err != nil {
				return err
			}
		}
		dir, id, ok := splitRecordKey(k)
		if !ok || len(v) < u64 {
			return errCorrupt(k)
		}
		r := store.Record{Version: binary.BigEndian.Uint64(v), Data: v[u64:len(v):len(v)]}
		if !sc.dataOnly {
			if string(dir) != sc.dir {
				sc.dir = string(dir)
			}
			r.Type, r.Directory, r.ID = dirsyncv1.RecordType(k[0]), sc.dir, string(id)
		}
		if err := sc.fn(r); err != nil {
			return err
		}
	}
	return nil
}

// Changes implements store.Store from one read transaction.
func (s *Store) Changes(ctx context.Context, after uint64, limit int) ([]store.Record, error) {
	var out []store.Record
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		v := readVersions(tx)
		if after < v.Earliest {
			return store.ErrVersionTooOld
		}
		if after >= v.Latest {
			return nil
		}
		n := v.Latest - after
		if limit > 0 && uint64(limit) < n {
			n = uint64(limit)
		}
		out = make([]store.Record, 0, min(n, 1<<16))
		var a arena
		dir := ""
		c := tx.Bucket(bucketChanges).Cursor()
		for k, val := c.Seek(binary.BigEndian.AppendUint64(nil, after+1)); k != nil && uint64(len(out)) < n; k, val = c.Next() {
			r, err := decodeChange(k, val, dir, &a)
			if err != nil {
				return err
			}
			dir = r.Directory
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, t dirsyncv1.RecordType, directory, id string) (store.Record, error) {
	var r store.Record
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		tb, ok := typeByte(t)
		if !ok || !validDirectory(directory) {
			return store.ErrNotFound
		}
		k := append(recordPrefix(tb, directory), id...)
		v := tx.Bucket(bucketRecords).Get(k)
		if v == nil {
			return store.ErrNotFound
		}
		if len(v) < u64 {
			return errCorrupt(k)
		}
		r = store.Record{Version: binary.BigEndian.Uint64(v), Type: t, Directory: directory, ID: id, Data: bytes.Clone(v[u64:])}
		return nil
	})
	return r, err
}

// Cursor implements store.Store.
func (s *Store) Cursor(ctx context.Context, directory string) ([]byte, error) {
	var c []byte
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketCursors).Get([]byte(directory))
		if v == nil {
			return store.ErrNotFound
		}
		c = bytes.Clone(v)
		return nil
	})
	return c, err
}
