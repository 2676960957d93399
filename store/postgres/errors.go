package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dirsync/dirsync/store"
)

// ErrCommitUnknown: Apply lost its connection while committing and could not learn, within
// the resolve timeout, whether the batch committed. The batch may or may not be in the store;
// re-reading the store (as the syncer does when it diffs) tells.
var ErrCommitUnknown = errors.New("postgres: commit outcome unknown")

// invalidValue reports whether the database refused a value as one it cannot store, which
// is the caller's fault: a string the database encoding cannot hold (22021, or 22P05 in a
// database that is not UTF8) or a key too large for a btree index (54000).
func invalidValue(code string) bool {
	switch code {
	case "22021", "22P05", "54000":
		return true
	}
	return false
}

// fail returns err, from the operation op, as the store reports it: ErrClosed once the
// store is closed, ErrInvalid for a value the database refuses to store, and otherwise err
// wrapped with the operation, keeping context errors recognizable with errors.Is. Not-found
// is decided where a row is read, never here.
func (s *Store) fail(op string, err error) error {
	if err == nil {
		return nil
	}
	if s.closed.Load() {
		return fmt.Errorf("postgres: %s: %w", op, store.ErrClosed)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		if invalidValue(pgErr.Code) {
			return fmt.Errorf("%w: postgres: %s: %s", store.ErrInvalid, op, pgErr.Message)
		}
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// storable reports whether s can be stored in a text column: UTF-8 without NUL bytes.
func storable(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// retry runs op, and runs it once more if it failed because its connection was lost (see
// connLost), after dropping the pool's other connections, which a database restart or a
// network failure has most likely broken too. So the first call after the database comes
// back does not fail on a stale connection. op must be safe to repeat: a read, an idempotent
// write, or an Apply that failed before its COMMIT (see final).
func (s *Store) retry(ctx context.Context, op func() error) error {
	err := op()
	if err == nil || !connLost(err) || ctx.Err() != nil || s.closed.Load() {
		return err
	}
	s.pool.Reset()
	return op()
}

// connLost reports whether err means that the connection failed (rather than the statement):
// the network or the server process went away, or the server ended the session (an
// administrator, a shutdown, a crash of another backend). Context errors and final errors are not.
func connLost(err error) bool {
	var ce final
	if errors.As(err, &ce) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "57P01", "57P02", "57P03": // admin shutdown, crash shutdown, cannot connect now
			return true
		}
		return strings.HasPrefix(pgErr.Code, "08") // connection exception
	}
	var netErr net.Error
	return pgconn.SafeToRetry(err) || errors.As(err, &netErr) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed)
}

// final marks an error that retry must not repeat the operation for: a failed COMMIT, which
// may have committed, or a Snapshot that has already shown records.
type final struct{ err error }

func (e final) Error() string { return e.err.Error() }
func (e final) Unwrap() error { return e.err }
