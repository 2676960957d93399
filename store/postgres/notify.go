package postgres

import (
	"context"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Change notification between Stores.
//
// Apply queues NOTIFY dirsync_changes, with the new latest version as payload, inside its
// transaction; PostgreSQL delivers it at commit to every session of the database that
// listens, and never for a transaction that aborts. Each Store runs one goroutine, watch,
// with its own connection outside the pool that LISTENs, and closes Changed when a
// notification names a version above the one the Store knows. Apply also wakes its own
// Store's waiters directly.
//
// A notification can be missed: nothing is queued for a listener whose connection is down
// (the database restarts, the session is terminated, the network drops it). So whenever no
// notification has arrived for a poll interval, watch reads the latest version itself: on
// the listening connection, which also proves that connection alive, or through the pool
// while it is down. It reconnects a lost listener, then polls at once, since commits may have
// happened while it was gone. Changed therefore closes at most about one poll interval after
// any commit, whatever happens to the notifications.

// notifyChannel is the channel of change notifications (channels are per database).
const notifyChannel = "dirsync_changes"

// watchTimeout bounds the connect of the listener and each poll; relistenDelay is the wait
// before trying again to connect a listener that could not connect.
const (
	watchTimeout  = 10 * time.Second
	relistenDelay = time.Second
)

// watch runs until ctx is done; see above.
func (s *Store) watch(ctx context.Context) {
	var l *pgx.Conn
	defer func() {
		if l != nil {
			_ = l.Close(context.Background())
		}
	}()
	drop := func(why string, err error) {
		s.opts.log.Warn("postgres: change listener lost; polling until it reconnects", "during", why, "err", err)
		_ = l.Close(context.Background())
		l = nil
	}
	for ctx.Err() == nil {
		if l == nil && s.opts.listen {
			l = s.listen(ctx)
		}
		if l == nil {
			s.poll(ctx, s.pool)
			wait := s.opts.poll
			if s.opts.listen {
				wait = min(wait, relistenDelay) // try to listen again soon
			}
			sleep(ctx, wait)
			continue
		}
		wctx, cancel := context.WithTimeout(ctx, s.opts.poll)
		n, err := l.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			if v, err := strconv.ParseUint(n.Payload, 10, 64); err == nil {
				s.advance(v)
			}
		case ctx.Err() != nil:
			return
		case !pgconn.Timeout(err):
			drop("wait", err)
		default: // quiet for a poll interval
			if err := s.poll(ctx, l); err != nil && ctx.Err() == nil {
				drop("poll", err)
			}
		}
	}
}

// listen connects the listening session, then polls, and returns nil (having logged why)
// when it cannot.
func (s *Store) listen(ctx context.Context) *pgx.Conn {
	cfg := s.pool.Config().ConnConfig
	cfg.RuntimeParams["application_name"] += " listener"
	ctx, cancel := context.WithTimeout(ctx, watchTimeout)
	defer cancel()
	l, err := pgx.ConnectConfig(ctx, cfg)
	if err == nil {
		if _, err = l.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
			_ = l.Close(context.Background())
		}
	}
	if err != nil {
		if ctx.Err() == nil {
			s.opts.log.Warn("postgres: cannot listen for changes; polling", "err", err)
		}
		return nil
	}
	if err := s.poll(ctx, l); err != nil {
		_ = l.Close(context.Background())
		return nil
	}
	return l
}

// poll reads the latest version through q and advances to it.
func (s *Store) poll(ctx context.Context, q querier) error {
	ctx, cancel := context.WithTimeout(ctx, watchTimeout)
	defer cancel()
	var latest int64
	if err := q.QueryRow(ctx, `SELECT latest FROM dirsync.meta`).Scan(&latest); err != nil {
		return err
	}
	s.advance(u64(latest))
	return nil
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
