package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// compactChunk bounds the deletions of one Compact transaction.
const compactChunk = 10_000

// Compact implements store.Store, in transactions of at most compactChunk deletions. It takes
// no version lock, so writers do not wait for it: it deletes only changes below the latest
// version, from the start of the log, and raises meta.earliest (never lowers it, should two
// replicas compact at once); a reader's snapshot sees each of its transactions whole.
//
// Commit times are on the database's clock and before on the caller's, so a skew between
// the two shifts the retention by as much.
func (s *Store) Compact(ctx context.Context, before time.Time) (int, error) {
	if err := s.ready(ctx); err != nil {
		return 0, err
	}
	total := 0
	for {
		var n int
		err := s.retry(ctx, func() (err error) {
			n, err = s.compact(ctx, before)
			return err
		})
		total += n
		if err != nil {
			return total, s.fail("compact", err)
		}
		if n < compactChunk {
			return total, nil
		}
	}
}

// compact removes one chunk and returns how many changes it removed.
func (s *Store) compact(ctx context.Context, before time.Time) (int, error) {
	n := 0
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// The last version to remove: of the oldest changes below latest, those before the
		// first one committed at or after before.
		var last *int64
		if err := tx.QueryRow(ctx, `
			WITH head AS (
				SELECT version, committed FROM dirsync.changes
				WHERE version < (SELECT latest FROM dirsync.meta)
				ORDER BY version LIMIT $2
			)
			SELECT max(version) FROM head
			WHERE version < coalesce((SELECT min(version) FROM head WHERE committed >= $1), 9223372036854775807)`,
			before, compactChunk).Scan(&last); err != nil || last == nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM dirsync.changes WHERE version <= $1`, *last)
		if err != nil {
			return err
		}
		n = int(tag.RowsAffected())
		_, err = tx.Exec(ctx, `UPDATE dirsync.meta SET earliest = greatest(earliest, $1)`, *last)
		return err
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
