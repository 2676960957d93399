package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store/postgres/pgtest"
)

// TestPostgresStorage: migrate, then serve a blob directory from PostgreSQL; a restart keeps
// the records and versions. Skipped without DIRSYNC_TEST_POSTGRES_DSN.
func TestPostgresStorage(t *testing.T) {
	dsn := testDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	dir := t.TempDir()
	file := filepath.Join(dir, "directory.json")
	sampleDir{Users: []map[string]any{{"id": "u1"}, {"id": "u2"}}}.write(t, file)
	doc := fmt.Sprintf("storage: {driver: postgres, dsn: %q}\ndirectories: [{name: acme, provider: blob, options: {url: %q}}]\n",
		dsn, "file://"+file)
	cfgFile := filepath.Join(dir, "dirsync.yaml")
	require.NoError(t, os.WriteFile(cfgFile, []byte(doc), 0o600))
	var out bytes.Buffer
	require.NoError(t, run([]string{"migrate", "-config", cfgFile}, &out, io.Discard))
	require.Contains(t, out.String(), "applied")
	out.Reset()
	require.NoError(t, run([]string{"migrate", "-config", cfgFile}, &out, io.Discard))
	require.Equal(t, "schema up to date\n", out.String())

	var version uint64
	for restart := range 2 {
		sc, query, stop := daemon(t, doc)
		res, err := sc.TriggerSync(ctx, &dirsyncv1.TriggerSyncRequest{Directory: "acme"})
		require.NoError(t, err)
		require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, res.Status.LastResult, res.Status.LastError)
		if restart == 0 {
			version = res.RecordVersion
		}
		require.Equal(t, version, res.RecordVersion, "nothing rewritten after a restart")
		users, err := query.ListUsers(ctx, &dirsyncv1.ListUsersRequest{Directory: "acme", MinRecordVersion: version})
		require.NoError(t, err)
		require.Len(t, users.Users, 2)
		stop()
	}
}

// testDatabase creates an empty database, dropped when the test ends, and returns its DSN
// (see pgtest for when it skips).
func testDatabase(t *testing.T) string { return pgtest.Database(t, "") }
