// Package pgtest gives tests and benchmarks PostgreSQL databases of their own on the cluster
// named by DIRSYNC_TEST_POSTGRES_DSN (a postgres:// URL of a role that may create databases;
// `eval "$(bash .ci/postgres.sh)"` starts a throwaway cluster and sets it).
//
// Without that variable a test is skipped, unless DIRSYNC_REQUIRE_POSTGRES=1 (as in CI),
// which fails it instead so that a missing server cannot pass as skipped tests.
package pgtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

// AdminDSN returns DIRSYNC_TEST_POSTGRES_DSN, or skips (or fails) tb without it.
func AdminDSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv("DIRSYNC_TEST_POSTGRES_DSN")
	if dsn == "" {
		if os.Getenv("DIRSYNC_REQUIRE_POSTGRES") == "1" {
			tb.Fatal(`DIRSYNC_REQUIRE_POSTGRES=1 but DIRSYNC_TEST_POSTGRES_DSN is not set: run eval "$(bash .ci/postgres.sh)" first`)
		}
		tb.Skip("DIRSYNC_TEST_POSTGRES_DSN is not set")
	}
	return dsn
}

// DSNFor returns the DSN of database db on the admin DSN's server.
func DSNFor(tb testing.TB, db string) string {
	tb.Helper()
	u, err := url.Parse(AdminDSN(tb))
	require.NoError(tb, err, "DIRSYNC_TEST_POSTGRES_DSN must be a postgres:// URL")
	u.Path = "/" + db
	return u.String()
}

var databases atomic.Int64

// Database creates an empty database (from template, when not empty), dropped when tb ends,
// and returns its DSN.
func Database(tb testing.TB, template string) string {
	tb.Helper()
	admin := AdminDSN(tb)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	require.NoError(tb, err)
	name := fmt.Sprintf("dirsync_test_%d_%d_%d", os.Getpid(), time.Now().UnixNano(), databases.Add(1))
	sql := "CREATE DATABASE " + name
	if template != "" {
		sql += " TEMPLATE " + template
	}
	_, err = conn.Exec(ctx, sql)
	require.NoError(tb, err, sql)
	tb.Cleanup(func() {
		_, _ = conn.Exec(context.Background(), "DROP DATABASE "+name+" WITH (FORCE)")
		conn.Close(context.Background())
	})
	return DSNFor(tb, name)
}
