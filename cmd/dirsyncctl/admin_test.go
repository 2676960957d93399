package main

import (
	"testing"

	"github.com/stretchr/testify/require"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

func TestStatus(t *testing.T) {
	ts := startServer(t)
	r := ctl(t, ts.addr, "status")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, ""+
		"DIRECTORY  PROVIDER  STATE        RESULT   LAST END              USERS  GROUPS  VERSION  NEXT RUN  ERROR\n"+
		"acme       blob      IDLE         SUCCESS  2026-01-02T03:04:05Z  3      4       8        -         -\n"+
		"broken     blob      BACKING_OFF  FAILURE  -                     0      0       0        -         directory.json: unexpected EOF\n"+
		"gone       -         ORPHANED     -        -                     1      0       9        -         -\n"+
		"guarded    blob      BLOCKED      BLOCKED  -                     0      0       0        -         would delete 6 of 10 records\n"+
		"slow       blob      IDLE         -        -                     0      0       0        -         -\n", r.stdout)

	r = ctl(t, ts.addr, "status", "broken")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "state                 BACKING_OFF\n")
	require.Contains(t, r.stdout, "last error            directory.json: unexpected EOF\n")
	require.Contains(t, r.stdout, "consecutive failures  2\n")

	all := jsonOf(t, ctl(t, ts.addr, "status", "-o", "json"), &dirsyncv1.GetSyncStatusResponse{})
	require.Len(t, all.Directories, 5)
	require.Equal(t, dirsyncv1.SyncState_SYNC_STATE_ORPHANED, all.Directories[2].State)

	r = ctl(t, ts.addr, "status", "nope")
	require.Equal(t, exitNotFound, r.code)
	require.Contains(t, r.stderr, `NotFound: directory "nope"`)
}

func TestSync(t *testing.T) {
	ts := startServer(t)
	cases := []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"sync", "acme"}, exitOK, "last result           SUCCESS\n", ""},
		{[]string{"sync", "broken"}, exitNegative, "last result           FAILURE\n", "dirsyncctl: sync of broken failed: directory.json: unexpected EOF\n"},
		{[]string{"sync", "guarded"}, exitNegative, "state                 BLOCKED\n",
			"dirsyncctl: sync of guarded blocked: would delete 6 of 10 records (--force applies it)\n"},
		{[]string{"sync", "guarded", "--force"}, exitOK, "last forced           yes\n", ""},
		{[]string{"sync", "nope"}, exitNotFound, "", `NotFound: configured directory "nope"`},
		{[]string{"sync", "gone"}, exitNotFound, "", `NotFound: configured directory "gone"`},
		{[]string{"sync"}, exitUsage, "", "sync: wrong number of arguments"},
		{[]string{"--timeout", "100ms", "sync", "slow"}, exitUnavailable, "", "DeadlineExceeded"},
	}
	for _, c := range cases {
		r := ctl(t, ts.addr, c.args...)
		require.Equal(t, c.code, r.code, "%v: %s", c.args, r.stderr)
		require.Contains(t, r.stdout, c.stdout, c.args)
		if c.stderr == "" {
			require.Empty(t, r.stderr, c.args)
		}
		require.Contains(t, r.stderr, c.stderr, c.args)
	}
	r := ctl(t, ts.addr, "sync", "acme")
	require.Contains(t, r.stdout, "store version         9\n")

	// JSON prints the response; the exit code still says the run failed.
	r = ctl(t, ts.addr, "-o", "json", "sync", "broken")
	require.Equal(t, exitNegative, r.code)
	r.code = 0
	got := jsonOf(t, r, &dirsyncv1.TriggerSyncResponse{})
	require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_FAILURE, got.Status.LastResult)
	require.EqualValues(t, 9, got.RecordVersion)
}

func TestPurge(t *testing.T) {
	ts := startServer(t)
	r := ctl(t, ts.addr, "purge", "gone")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, "directory        gone\ndeleted records  1\nrecord version   10\n", r.stdout)
	got := jsonOf(t, ctl(t, ts.addr, "purge", "gone", "-o", "json"), &dirsyncv1.PurgeDirectoryResponse{})
	require.EqualValues(t, 1, got.DeletedRecords)

	r = ctl(t, ts.addr, "purge", "acme")
	require.Equal(t, exitError, r.code)
	require.Contains(t, r.stderr, "FailedPrecondition: directory is configured")
}

func TestProviders(t *testing.T) {
	ts := startServer(t)
	r := ctl(t, ts.addr, "providers")
	require.Equal(t, 0, r.code, r.stderr)
	lines := splitLines(r.stdout)
	require.Regexp(t, `^PROVIDER +OPTION +TYPE +REQUIRED +SECRET +DEFAULT +DESCRIPTION$`, lines[0])
	require.Regexp(t, `(?m)^blob +url +string +yes +no `, r.stdout)

	got := jsonOf(t, ctl(t, ts.addr, "-o", "json", "providers"), &dirsyncv1.ListProviderTypesResponse{})
	var names []string
	for _, p := range got.ProviderTypes {
		names = append(names, p.Name)
		require.NotEmpty(t, p.Options, p.Name)
	}
	require.Equal(t, []string{"auth0", "blob", "cognito", "entra", "github", "gitlab", "google", "okta", "onelogin", "ping"}, names)
}
