package bolt

import (
	"context"
	"encoding/binary"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/dirsync/dirsync/store"
)

// Apply implements store.Store in one read-write transaction. The upserts are encoded
// before it, in parallel for large batches, so the transaction only splices in versions.
func (s *Store) Apply(ctx context.Context, b store.Batch) (store.Versions, error) {
	if err := b.Check(); err != nil {
		return store.Versions{}, err
	}
	if err := s.ready(ctx); err != nil {
		return store.Versions{}, err
	}
	prepared, err := store.PrepareBatch(b.Records)
	if err != nil {
		return store.Versions{}, err
	}
	return s.update(ctx, func(tx *bbolt.Tx) (store.Versions, error) {
		return writeBatch(tx, b, prepared, time.Now())
	})
}

// writeBatch writes b, whose upserts are prepared, at time now and returns the versions after
// it. Keys and values are carved from one arena, since bolt keeps them until the commit.
func writeBatch(tx *bbolt.Tx, b store.Batch, prepared []store.Prepared, now time.Time) (store.Versions, error) {
	v := readVersions(tx)
	recs := tx.Bucket(bucketRecords)
	recs.FillPercent = recordsFill
	log := tx.Bucket(bucketChanges)
	log.FillPercent = 1 // append-only: fill pages completely
	stamper := store.NewStamper(now)
	var a arena
	next := v.Latest
	for i, r := range b.Records {
		t, ok := typeByte(r.Type)
		if !ok {
			continue // a deletion of a type that is never stored (Check admits no such upsert)
		}
		k := a.recordKey(t, b.Directory, r.Id)
		rec := store.Record{Version: next + 1, Type: r.Type, Directory: b.Directory, ID: r.Id, Deleted: r.Deleted}
		if r.Deleted {
			prev := recs.Get(k)
			if prev == nil {
				continue
			}
			tomb, err := store.Tombstone(prev[u64:], rec.Version, now)
			if err != nil {
				return store.Versions{}, err
			}
			rec.Data = tomb.Data
			if err := recs.Delete(k); err != nil {
				return store.Versions{}, err
			}
		} else {
			val := a.take(u64 + stamper.Size(prepared[i], rec.Version))
			binary.BigEndian.PutUint64(val, rec.Version)
			rec.Data = stamper.Append(val[u64:u64], prepared[i], rec.Version)
			if err := recs.Put(k, val); err != nil {
				return store.Versions{}, err
			}
		}
		next++
		if err := log.Put(a.versionKey(next), a.changeValue(now, rec)); err != nil {
			return store.Versions{}, err
		}
	}
	if b.SetCursor {
		cursors := tx.Bucket(bucketCursors)
		var err error
		if len(b.Cursor) == 0 {
			err = cursors.Delete([]byte(b.Directory))
		} else {
			err = cursors.Put([]byte(b.Directory), a.clone(b.Cursor))
		}
		if err != nil {
			return store.Versions{}, err
		}
	}
	if next != v.Latest {
		if err := putU64(tx.Bucket(bucketMeta), keyLatest, next); err != nil {
			return store.Versions{}, err
		}
		v.Latest = next
	}
	return v, nil
}

// compactChunk bounds the deletions of one Compact transaction, so that writers wait little.
const compactChunk = 10_000

// Compact implements store.Store, in transactions of at most compactChunk deletions.
func (s *Store) Compact(ctx context.Context, before time.Time) (int, error) {
	total := 0
	for {
		n := 0
		_, err := s.update(ctx, func(tx *bbolt.Tx) (store.Versions, error) {
			v, removed, err := compact(tx, before.UnixNano(), compactChunk)
			n = removed
			return v, err
		})
		total += n
		if err != nil || n < compactChunk {
			return total, err
		}
	}
}

// compact removes up to limit changes committed before the given time from the start of the
// log, never the newest, and returns the versions after it and how many it removed.
func compact(tx *bbolt.Tx, before int64, limit int) (store.Versions, int, error) {
	v := readVersions(tx)
	c := tx.Bucket(bucketChanges).Cursor()
	n := 0
	for k, val := c.First(); k != nil && n < limit; k, val = c.First() {
		if len(k) != u64 || len(val) < u64 {
			return store.Versions{}, 0, errCorrupt(k)
		}
		version := binary.BigEndian.Uint64(k)
		if version >= v.Latest || changeTime(val) >= before {
			break
		}
		if err := c.Delete(); err != nil {
			return store.Versions{}, 0, err
		}
		v.Earliest = version
		n++
	}
	if n > 0 {
		if err := putU64(tx.Bucket(bucketMeta), keyEarliest, v.Earliest); err != nil {
			return store.Versions{}, 0, err
		}
	}
	return v, n, nil
}
