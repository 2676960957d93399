package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// commit commits tx, whose transaction id is xid, and returns nil exactly when it committed
// (or, after a lost connection, ErrCommitUnknown when that cannot be learned in time). Its
// errors are final errors, which retry does not repeat.
//
// The commit does not follow ctx's cancellation: a cancelled COMMIT is a commit of unknown
// outcome, and the caller's deadline must not make one. It is bounded by the resolve timeout.
func (s *Store) commit(ctx context.Context, tx pgx.Tx, xid string) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.resolve)
	defer cancel()
	err := tx.Commit(cctx)
	if err == nil {
		return nil
	}
	var pgErr *pgconn.PgError
	if errors.Is(err, pgx.ErrTxCommitRollback) || errors.As(err, &pgErr) {
		return final{err} // the server answered: rolled back
	}
	if err := s.resolve(xid, err); err != nil {
		return final{err}
	}
	return nil
}

// resolve learns whether transaction xid committed after its connection failed with cause
// during COMMIT, by asking the database over the pool's connections until the transaction is
// no longer in progress or the resolve timeout has passed. It returns nil if it committed.
func (s *Store) resolve(xid string, cause error) error {
	deadline := time.Now().Add(s.opts.resolve)
	for delay := 10 * time.Millisecond; ; delay = min(2*delay, time.Second) {
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		var status *string
		err := s.pool.QueryRow(ctx, `SELECT pg_xact_status($1::text::xid8)`, xid).Scan(&status)
		cancel()
		switch {
		case err != nil, status == nil, *status == "in progress":
			// No answer yet, or the old session is still committing.
		case *status == "committed":
			s.opts.log.Info("postgres: commit confirmed after its connection failed", "xid", xid, "cause", cause)
			return nil
		default: // "aborted"
			return fmt.Errorf("commit failed and was rolled back: %w", cause)
		}
		if s.closed.Load() || time.Now().Add(delay).After(deadline) {
			return fmt.Errorf("%w: transaction %s: %v", ErrCommitUnknown, xid, cause)
		}
		time.Sleep(delay)
	}
}
