package postgres_test

import (
	"context"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/dirsync/dirsync/store"
	"github.com/dirsync/dirsync/store/postgres"
	"github.com/dirsync/dirsync/store/postgres/pgtest"
)

// emptyDatabase creates a database without the schema, dropped when t ends.
func emptyDatabase(t *testing.T) string {
	t.Helper()
	return pgtest.Database(t, "")
}

func queryInt(t *testing.T, dsn, sql string) int64 {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var n int64
	require.NoError(t, conn.QueryRow(ctx, sql).Scan(&n))
	return n
}

func TestMigrateIsIdempotent(t *testing.T) {
	dsn := emptyDatabase(t)
	ctx := context.Background()
	applied, err := postgres.Migrate(ctx, dsn)
	require.NoError(t, err)
	require.Equal(t, []string{"0001_schema.sql", "0002_statuses.sql"}, applied)
	applied, err = postgres.Migrate(ctx, dsn)
	require.NoError(t, err)
	require.Empty(t, applied, "a second Migrate")
	require.Zero(t, queryInt(t, dsn, `SELECT count(*) FROM dirsync.meta`), "Migrate creates no store")

	s := open(t, dsn)
	_, err = s.Apply(ctx, store.Batch{Directory: "d", Records: users("d", "u", 2)})
	require.NoError(t, err)
	v, err := s.Versions(ctx)
	require.NoError(t, err)
	applied, err = postgres.Migrate(ctx, dsn)
	require.NoError(t, err)
	require.Empty(t, applied, "Migrate of a database in use")
	again, err := s.Versions(ctx)
	require.NoError(t, err)
	require.Equal(t, v, again)
	require.Equal(t, int64(2), queryInt(t, dsn, `SELECT count(*) FROM dirsync.schema_migrations`))
}

// TestConcurrentOpen: replicas starting together on a new database create one schema and one
// store.
func TestConcurrentOpen(t *testing.T) {
	dsn := emptyDatabase(t)
	const n = 6
	servers := make([]uint64, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			s, err := postgres.Open(context.Background(), dsn)
			require.NoError(t, err)
			defer s.Close()
			v, err := s.Versions(context.Background())
			require.NoError(t, err)
			servers[i] = v.ServerVersion
		})
	}
	wg.Wait()
	for _, sv := range servers {
		require.NotZero(t, sv)
		require.Equal(t, servers[0], sv, "one server version")
	}
	require.Equal(t, int64(2), queryInt(t, dsn, `SELECT count(*) FROM dirsync.schema_migrations`))
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	dsn := newDatabase(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, `INSERT INTO dirsync.schema_migrations (version, name) VALUES (99, '0099_future.sql')`)
	require.NoError(t, err)
	require.NoError(t, conn.Close(ctx))
	_, err = postgres.Open(ctx, dsn)
	require.ErrorContains(t, err, "newer than this build")
	_, err = postgres.Migrate(ctx, dsn)
	require.ErrorContains(t, err, "newer than this build")
}

func TestOpenFailsWithoutServer(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := postgres.Open(ctx, "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1")
	require.Error(t, err)
	_, err = postgres.Open(context.Background(), "postgres://a:secret@[bad")
	require.Error(t, err)
	require.NotContains(t, err.Error(), "secret", "a DSN's password in an error")
}
