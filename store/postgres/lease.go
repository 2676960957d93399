package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dirsync/dirsync/store"
)

// Leases expire on the database's clock (now(), the start of the statement's transaction),
// so that replicas whose clocks disagree still agree on who holds a lease. Each method is
// one statement: the row lock of ON CONFLICT or UPDATE makes a check and its write atomic
// across replicas. Each is idempotent for its holder, so retry may repeat it.

// checkLease validates lease arguments: store.CheckLease, and names and holders that a text
// column can hold.
func checkLease(name, holder string, ttl time.Duration) error {
	if err := store.CheckLease(name, holder, ttl); err != nil {
		return err
	}
	if !storable(name) || !storable(holder) {
		return fmt.Errorf("%w: lease %q: name or holder is not UTF-8 or holds a NUL byte", store.ErrInvalid, name)
	}
	return nil
}

// micros returns ttl in whole microseconds, the database's resolution, rounded up.
func micros(ttl time.Duration) int64 {
	return int64((ttl + time.Microsecond - 1) / time.Microsecond)
}

// AcquireLease implements store.Store.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	if err := checkLease(name, holder, ttl); err != nil {
		return false, err
	}
	if err := s.ready(ctx); err != nil {
		return false, err
	}
	var ok bool
	err := s.retry(ctx, func() error {
		return s.pool.QueryRow(ctx, `
		INSERT INTO dirsync.leases AS l (name, holder, expires)
		VALUES ($1, $2, now() + $3 * interval '1 microsecond')
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires = excluded.expires
		WHERE l.holder = excluded.holder OR l.expires <= now()
		RETURNING true`, name, holder, micros(ttl)).Scan(&ok)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil // held by another
	}
	return ok && err == nil, s.fail("acquire lease", err)
}

// RenewLease implements store.Store.
func (s *Store) RenewLease(ctx context.Context, name, holder string, ttl time.Duration) error {
	if err := checkLease(name, holder, ttl); err != nil {
		return err
	}
	if err := s.ready(ctx); err != nil {
		return err
	}
	var tag pgconn.CommandTag
	err := s.retry(ctx, func() (err error) {
		tag, err = s.pool.Exec(ctx, `
			UPDATE dirsync.leases SET expires = now() + $3 * interval '1 microsecond'
			WHERE name = $1 AND holder = $2 AND expires > now()`, name, holder, micros(ttl))
		return err
	})
	if err != nil {
		return s.fail("renew lease", err)
	}
	if tag.RowsAffected() == 0 {
		return store.ErrLeaseLost
	}
	return nil
}

// ReleaseLease implements store.Store.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	if err := checkLease(name, holder, time.Second); err != nil {
		return err
	}
	if err := s.ready(ctx); err != nil {
		return err
	}
	err := s.retry(ctx, func() error {
		_, err := s.pool.Exec(ctx, `DELETE FROM dirsync.leases WHERE name = $1 AND holder = $2`, name, holder)
		return err
	})
	return s.fail("release lease", err)
}
