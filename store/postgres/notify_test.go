package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/dirsync/dirsync/store"
	"github.com/dirsync/dirsync/store/postgres"
)

// listeners returns the backend pids of the listening sessions on the database of dsn.
func listeners(t *testing.T, dsn string) []int32 {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT pid FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = 'dirsyncd listener' ORDER BY pid`)
	require.NoError(t, err)
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	require.NoError(t, err)
	return pids
}

// terminate ends the sessions with those pids, as an administrator or a failover would.
func terminate(t *testing.T, dsn string, pids []int32) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM unnest($1::int4[]) AS pid`, pids)
	require.NoError(t, err)
}

// TestPollWakesWithoutNotifications: a Store that never hears a notification still wakes
// within about a poll interval of another Store's commit.
func TestPollWakesWithoutNotifications(t *testing.T) {
	dsn := newDatabase(t)
	deaf := open(t, dsn, postgres.WithoutListen())
	writer := open(t, dsn)
	require.Eventually(t, func() bool { return len(listeners(t, dsn)) == 1 }, 5*time.Second, 10*time.Millisecond, "only the writer listens")
	for range 2 {
		wake := deaf.Changed()
		start := time.Now()
		_, err := writer.Apply(context.Background(), store.Batch{Directory: "d", Records: users("d", start.Format("150405.000000"), 1)})
		require.NoError(t, err)
		requireClosedWithin(t, wake, 10*testPoll, "the poll did not wake Changed")
		require.Less(t, time.Since(start), 10*testPoll)
	}
}

// TestListenerReconnects: when its listening session is killed, a Store listens again by
// itself, and notices the commits made while it was not listening.
func TestListenerReconnects(t *testing.T) {
	dsn := newDatabase(t)
	ctx := context.Background()
	// A poll too rare to matter: the listener, or its reconnect, must do the waking.
	a := open(t, dsn, postgres.WithPollInterval(time.Minute))
	writer := open(t, dsn, postgres.WithoutListen())
	require.Eventually(t, func() bool { return len(listeners(t, dsn)) == 1 }, 5*time.Second, 10*time.Millisecond)
	for round := range 3 {
		old := listeners(t, dsn)
		terminate(t, dsn, old)
		// A commit while the listener may be down is not lost.
		wake := a.Changed()
		_, err := writer.Apply(ctx, store.Batch{Directory: "d", Records: users("d", "lost-"+string(rune('a'+round)), 1)})
		require.NoError(t, err)
		requireClosedWithin(t, wake, 10*time.Second, "a commit during the listener's outage was missed")
		require.Eventually(t, func() bool {
			now := listeners(t, dsn)
			return len(now) == 1 && now[0] != old[0]
		}, 10*time.Second, 10*time.Millisecond, "the listener did not reconnect")
		// And the new listener hears the next commit.
		wake = a.Changed()
		_, err = writer.Apply(ctx, store.Batch{Directory: "d", Records: users("d", "heard-"+string(rune('a'+round)), 1)})
		require.NoError(t, err)
		requireClosedWithin(t, wake, 5*time.Second, "the reconnected listener did not hear a commit")
	}
}
