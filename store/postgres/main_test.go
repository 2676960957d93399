package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/dirsync/dirsync/store"
	"github.com/dirsync/dirsync/store/postgres"
)

// The tests run against the PostgreSQL server of DIRSYNC_TEST_POSTGRES_DSN, a postgres:// URL
// of a database the tests may create databases from (.ci/postgres.sh prints one), and skip
// without it, unless DIRSYNC_REQUIRE_POSTGRES=1 (see TestPostgresRequired). Each test gets a
// database of its own, created from a template migrated once per run.

var adminDSN = os.Getenv("DIRSYNC_TEST_POSTGRES_DSN")

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		dropTemplate()
		os.Exit(code)
	}))
}

// TestPostgresRequired fails, rather than letting every other test skip, when CI asks for
// the postgres tests and gives them no server.
func TestPostgresRequired(t *testing.T) {
	if os.Getenv("DIRSYNC_REQUIRE_POSTGRES") == "1" && adminDSN == "" {
		t.Fatal("DIRSYNC_REQUIRE_POSTGRES=1 but DIRSYNC_TEST_POSTGRES_DSN is not set: " +
			`run eval "$(bash .ci/postgres.sh)" first`)
	}
}

func needPostgres(t testing.TB) {
	t.Helper()
	if adminDSN == "" {
		t.Skip("DIRSYNC_TEST_POSTGRES_DSN is not set")
	}
}

// dsnFor returns the DSN of database db on the admin DSN's server.
func dsnFor(t testing.TB, db string) string {
	t.Helper()
	u, err := url.Parse(adminDSN)
	require.NoError(t, err, "DIRSYNC_TEST_POSTGRES_DSN must be a postgres:// URL")
	u.Path = "/" + db
	return u.String()
}

// admin runs sql on the admin database.
func admin(t testing.TB, sql string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, adminDSN)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql, args...)
	require.NoError(t, err, sql)
}

var (
	templateOnce sync.Once
	templateName string // set once the template exists
	templateErr  error
	databases    atomic.Int64
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
		_, templateErr = postgres.Migrate(ctx, dsnFor(t, name))
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
	tmpl := template(t)
	name := fmt.Sprintf("dirsync_test_%d_%d", os.Getpid(), databases.Add(1))
	admin(t, "CREATE DATABASE "+name+" TEMPLATE "+tmpl)
	t.Cleanup(func() { admin(t, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	return dsnFor(t, name)
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
