package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/dirsync/dirsync/store"
	"github.com/dirsync/dirsync/store/postgres"
	"github.com/dirsync/dirsync/store/postgres/pgtest"
)

// The tests run against the PostgreSQL server of DIRSYNC_TEST_POSTGRES_DSN (see pgtest). Each
// test gets a database of its own, created from a template migrated once per run.

var adminDSN = os.Getenv("DIRSYNC_TEST_POSTGRES_DSN")

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		dropTemplate()
		os.Exit(code)
	}))
}

func needPostgres(t testing.TB) {
	t.Helper()
	pgtest.AdminDSN(t)
}

var (
	templateOnce sync.Once
	templateName string // set once the template exists
	templateErr  error
)

// template returns the name of the migrated template database, creating it on first use.
func template(t testing.TB) string {
	t.Helper()
	templateOnce.Do(func() {
		name := fmt.Sprintf("dirsync_tmpl_%d", os.Getpid())
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, adminDSN)
		if err != nil {
			templateErr = err
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name); err != nil {
			templateErr = err
			return
		}
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
			templateErr = err
			return
		}
		templateName = name
		_, templateErr = postgres.Migrate(ctx, pgtest.DSNFor(t, name))
	})
	require.NoError(t, templateErr, "template database")
	return templateName
}

func dropTemplate() {
	if templateName == "" {
		return
	}
	ctx := context.Background()
	if conn, err := pgx.Connect(ctx, adminDSN); err == nil {
		_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+templateName+" WITH (FORCE)")
		_ = conn.Close(ctx)
	}
}

// newDatabase creates an empty, migrated database for t, dropped when t ends, and returns its
// DSN.
func newDatabase(t testing.TB) string {
	t.Helper()
	needPostgres(t)
	return pgtest.Database(t, template(t))
}

// testPoll is the poll interval of the tests' stores: short, so that a test of the poll is
// quick, and long enough that notifications, not polls, wake the other tests.
const testPoll = 200 * time.Millisecond

// open opens a Store on dsn, closed when t ends.
func open(t testing.TB, dsn string, opts ...postgres.Option) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), dsn, append([]postgres.Option{postgres.WithPollInterval(testPoll)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() {
		if err := s.Close(); err != nil && !errors.Is(err, store.ErrClosed) {
			t.Errorf("close: %v", err)
		}
	})
	return s
}
