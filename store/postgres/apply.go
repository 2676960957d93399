package postgres

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/dirsync/dirsync/store"
)

// Version allocation: commit order equals version order.
//
// Every transaction that allocates versions (an Apply) runs in READ COMMITTED and first takes
// the transaction-scoped advisory lock lockVersions (pg_advisory_xact_lock). Only then, in
// later statements, it reads meta.latest (FOR UPDATE, so the newest row version even if the
// snapshot were older), deletes and writes its records, appends its changes at
// latest+1…latest+n, sets meta.latest to latest+n, queues its notification and commits. The
// lock is released when the transaction ends, and PostgreSQL releases a transaction's locks
// only after its commit has become visible to new snapshots. Therefore:
//
//  1. Allocators run one at a time, in lock order, and each reads the latest version its
//     predecessor committed: versions are contiguous, and never reused (a transaction that
//     aborts, or whose session dies, leaves meta.latest as it was; the next one reuses
//     nothing that any reader could have seen).
//  2. The allocator of v+1 gets the lock only after the allocator of v is visible, so it
//     commits after it: a snapshot that sees v+1 sees v. The classic sequence-gap bug, where
//     two transactions take numbers from a sequence and commit in the other order, cannot
//     happen, because no number is taken before the previous holder's commit is visible.
//
// In the extended protocol each statement of the pipelined batch takes its snapshot when the
// server reaches it, that is after the lock statement has returned, so the statements after
// the lock see the predecessor's rows (the records they delete or overwrite).
//
// Readers take no lock: any one snapshot (a single statement, or Snapshot's REPEATABLE READ
// transaction) sees a prefix of the versions and the meta row that matches it, so they never
// see a gap. The cost is that writers are serialized database-wide, as bolt's single writer
// is; readers never wait for them. Within one process, writers also queue on Store.writing
// before taking a connection.
//
// Commit times are read from the database's clock (clock_timestamp) after the lock, so they
// do not decrease along versions whatever the replicas' clocks say.

// Apply implements store.Store. The upserts are encoded before the transaction; in it, one
// round trip takes the lock, reads meta and deletes the deleted keys (returning their last
// data for the tombstones), a COPY appends the changes, and one more round trip copies the
// upserts from the change log into the records and writes meta, the cursor and the
// notification.
//
// An error means that nothing was written, with one exception: when the connection fails
// during COMMIT, Apply cannot tell by itself whether the commit happened. It then asks the
// database over another connection (pg_xact_status of its transaction) until the transaction
// is no longer in progress, for up to the resolve timeout (WithResolveTimeout): if it
// committed, Apply succeeds; if it aborted, Apply returns an error. Only when the database
// stays unreachable that long does Apply return an error wrapping ErrCommitUnknown, and then
// the batch may or may not have committed. An Apply whose connection was lost before its
// COMMIT is retried once on a new connection (see Store.retry), which is safe since the lost
// transaction cannot commit. A directory that is not UTF-8 is ErrInvalid, as is an id too long
// for an index key (about 2.7 KB).
func (s *Store) Apply(ctx context.Context, b store.Batch) (store.Versions, error) {
	if err := b.Check(); err != nil {
		return store.Versions{}, err
	}
	if !utf8.ValidString(b.Directory) {
		return store.Versions{}, fmt.Errorf("%w: directory %q is not UTF-8", store.ErrInvalid, b.Directory)
	}
	if err := s.ready(ctx); err != nil {
		return store.Versions{}, err
	}
	prepared, err := store.PrepareBatch(b.Records)
	if err != nil {
		return store.Versions{}, err
	}
	select {
	case s.writing <- struct{}{}:
		defer func() { <-s.writing }()
	case <-ctx.Done():
		return store.Versions{}, ctx.Err()
	}
	if err := s.ready(ctx); err != nil {
		return store.Versions{}, err
	}
	var v store.Versions
	err = s.retry(ctx, func() (err error) {
		v, err = s.write(ctx, b, prepared)
		return err
	})
	if err != nil {
		return store.Versions{}, s.fail("apply", err)
	}
	s.advance(v.Latest)
	return v, nil
}

// write runs the transaction of Apply and returns the versions after it.
func (s *Store) write(ctx context.Context, b store.Batch, prepared []store.Prepared) (store.Versions, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return store.Versions{}, err
	}
	defer conn.Release()
	tx, err := conn.Begin(ctx)
	if err != nil {
		return store.Versions{}, err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }() // a no-op after Commit

	h, err := lockHead(ctx, tx, b)
	if err != nil {
		return store.Versions{}, err
	}
	log, err := stamp(b, prepared, h)
	if err != nil {
		return store.Versions{}, err
	}
	if len(log.rows) == 0 && !b.SetCursor {
		return h.versions, nil // nothing to write; the rollback frees the lock
	}
	if len(log.rows) > 0 {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"dirsync", "changes"},
			[]string{"version", "committed", "type", "directory", "id", "deleted", "data"}, log); err != nil {
			return store.Versions{}, err
		}
	}
	v := h.versions
	v.Latest += uint64(len(log.rows))
	if err := tx.SendBatch(ctx, finish(b, h.versions.Latest, v.Latest, log.upserts > 0)).Close(); err != nil {
		return store.Versions{}, err
	}
	if err := s.commit(ctx, tx, h.xid); err != nil {
		return store.Versions{}, err
	}
	return v, nil
}

// head is what an Apply learns once it holds the version lock.
type head struct {
	versions store.Versions
	at       time.Time // the commit time of the batch, on the database's clock
	xid      string    // the transaction's id, to resolve a failed commit
	prev     map[delKey][]byte
}

// delKey is the key of a deletion within its batch's directory.
type delKey struct {
	t  int32
	id string
}

// lockHead takes the version lock, then reads meta and deletes the batch's deleted keys,
// returning their last data, in one round trip.
func lockHead(ctx context.Context, tx pgx.Tx, b store.Batch) (head, error) {
	var types []int32
	var ids [][]byte
	for _, r := range b.Records {
		if r.Deleted {
			types, ids = append(types, int32(r.Type)), append(ids, []byte(r.Id))
		}
	}
	q := &pgx.Batch{}
	q.Queue(`SELECT pg_advisory_xact_lock($1)`, lockVersions)
	q.Queue(`SELECT server_version, latest, earliest, clock_timestamp(), pg_current_xact_id()::text
		FROM dirsync.meta FOR UPDATE`)
	if len(ids) > 0 {
		q.Queue(`DELETE FROM dirsync.records r USING unnest($1::int4[], $2::bytea[]) AS k(type, id)
			WHERE r.type = k.type AND r.directory = $3 AND r.id = k.id
			RETURNING r.type, r.id, r.data`, types, ids, b.Directory)
	}
	br := tx.SendBatch(ctx, q)
	defer func() { _ = br.Close() }()
	var h head
	if _, err := br.Exec(); err != nil {
		return head{}, err
	}
	var server, latest, earliest int64
	if err := br.QueryRow().Scan(&server, &latest, &earliest, &h.at, &h.xid); err != nil {
		return head{}, err
	}
	h.versions = store.Versions{ServerVersion: u64(server), Latest: u64(latest), Earliest: u64(earliest)}
	if len(ids) == 0 {
		return h, br.Close()
	}
	rows, err := br.Query()
	if err != nil {
		return head{}, err
	}
	h.prev = make(map[delKey][]byte)
	var k delKey
	var id, data []byte
	_, err = pgx.ForEachRow(rows, []any{&k.t, &id, &data}, func() error {
		h.prev[delKey{k.t, string(id)}] = data
		return nil
	})
	if err != nil {
		return head{}, err
	}
	return h, br.Close()
}

// finish returns the statements that end an Apply whose changes above from up to to are in
// the change log: copy the upserts into the records, move meta.latest, save the cursor and
// notify the other Stores.
func finish(b store.Batch, from, to uint64, upserts bool) *pgx.Batch {
	q := &pgx.Batch{}
	if upserts {
		q.Queue(`INSERT INTO dirsync.records (type, directory, id, version, data)
			SELECT type, directory, id, version, data FROM dirsync.changes
			WHERE version > $1 AND version <= $2 AND NOT deleted
			ON CONFLICT (type, directory, id) DO UPDATE SET version = excluded.version, data = excluded.data`,
			i64(from), i64(to))
	}
	if to > from {
		q.Queue(`UPDATE dirsync.meta SET latest = $1`, i64(to))
		q.Queue(`SELECT pg_notify($1, $2)`, notifyChannel, notifyPayload(to))
	}
	if b.SetCursor {
		if len(b.Cursor) == 0 {
			q.Queue(`DELETE FROM dirsync.cursors WHERE directory = $1`, b.Directory)
		} else {
			q.Queue(`INSERT INTO dirsync.cursors (directory, cursor) VALUES ($1, $2)
				ON CONFLICT (directory) DO UPDATE SET cursor = excluded.cursor`, b.Directory, b.Cursor)
		}
	}
	return q
}
