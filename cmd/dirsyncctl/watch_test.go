package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// watchLine is one line of watch's output.
type watchLine struct {
	Record *struct {
		Version   string `json:"version"`
		Type      string `json:"type"`
		Directory string `json:"directory"`
		ID        string `json:"id"`
		Deleted   bool   `json:"deleted"`
	} `json:"record"`
	Versions *struct {
		LatestRecordVersion string `json:"latest_record_version"`
	} `json:"versions"`
	Checkpoint *struct {
		LatestRecordVersion string `json:"latest_record_version"`
	} `json:"checkpoint"`
}

// String names the line for comparisons: "user acme/u1", "user acme/u3 deleted",
// "versions 9", "checkpoint".
func (l watchLine) String() string {
	switch {
	case l.Record != nil:
		s := fmt.Sprintf("%s %s/%s", strings.ToLower(strings.TrimPrefix(l.Record.Type, "RECORD_TYPE_")), l.Record.Directory, l.Record.ID)
		if l.Record.Deleted {
			s += " deleted"
		}
		return s
	case l.Versions != nil:
		return "versions " + l.Versions.LatestRecordVersion
	case l.Checkpoint != nil:
		return "checkpoint"
	}
	return "?"
}

// watching runs watch in the background; stop ends its context and returns its result.
type watching struct {
	out, errOut syncBuffer
	cancel      context.CancelFunc
	done        chan int
}

func startWatch(t *testing.T, addr string, args ...string) *watching {
	ctx, cancel := context.WithCancel(context.Background())
	w := &watching{cancel: cancel, done: make(chan int, 1)}
	go func() { w.done <- run(ctx, append([]string{"--addr", addr, "watch"}, args...), &w.out, &w.errOut) }()
	t.Cleanup(func() { w.stop(t) })
	return w
}

// lines returns the lines printed so far, each one JSON object.
func (w *watching) lines() ([]watchLine, error) {
	var out []watchLine
	for _, s := range splitLines(w.out.String()) {
		var l watchLine
		if err := json.Unmarshal([]byte(s), &l); err != nil {
			return nil, fmt.Errorf("%w: %s", err, s)
		}
		out = append(out, l)
	}
	return out, nil
}

// waitFor waits until the printed lines, checkpoints left out, start with want.
func (w *watching) waitFor(t *testing.T, want ...string) {
	t.Helper()
	var got []string
	var err error
	require.Eventually(t, func() bool {
		var ls []watchLine
		if ls, err = w.lines(); err != nil {
			return true
		}
		got = nil
		for _, l := range ls {
			if l.Checkpoint == nil {
				got = append(got, l.String())
			}
		}
		return len(got) >= len(want)
	}, 5*time.Second, 10*time.Millisecond, "lines so far: %q; stderr %s", got, w.errOut.String())
	require.NoError(t, err)
	require.Equal(t, want, got[:len(want)], w.out.String())
}

func (w *watching) stop(t *testing.T) int {
	w.cancel()
	select {
	case code := <-w.done:
		w.done <- code
		return code
	case <-time.After(5 * time.Second):
		t.Fatal("watch did not stop")
		return -1
	}
}

// TestWatch: the snapshot of the filtered records, its versions, then each later change that
// passes the filters, then checkpoints; it stops with exit 0 when its context ends.
func TestWatch(t *testing.T) {
	ts := startServer(t)
	w := startWatch(t, ts.addr, "--type", "user", "--directory", "acme")
	w.waitFor(t, "user acme/u1", "user acme/u2", "user acme/u3", "versions 9")

	ts.apply(t, "acme", group("acme", "new", "New", nil, nil))
	ts.apply(t, "other", user("other", "o1", "Olga", nil, nil))
	ts.apply(t, "acme", user("acme", "u4", "Dan Moe", nil, nil), deletedUser("acme", "u3"))
	w.waitFor(t, "user acme/u1", "user acme/u2", "user acme/u3", "versions 9", "user acme/u4", "user acme/u3 deleted")
	require.Eventually(t, func() bool {
		ls, err := w.lines()
		return err == nil && ls[len(ls)-1].Checkpoint != nil && ls[len(ls)-1].Checkpoint.LatestRecordVersion == "13"
	}, 5*time.Second, 10*time.Millisecond, "a checkpoint at the latest version")
	require.Equal(t, 0, w.stop(t))
	require.Empty(t, w.errOut.String())

	// Records carry their data, in protojson with proto field names.
	require.Contains(t, w.out.String(), `{"record":{"version":"12","type":"RECORD_TYPE_USER","directory":"acme","id":"u4",`)
	require.Contains(t, w.out.String(), `"display_name":"Dan Moe"`)
}

// TestWatchFrom: --from prints only the changes after the version, with no snapshot.
func TestWatchFrom(t *testing.T) {
	ts := startServer(t)
	ts.apply(t, "acme", user("acme", "u4", "Dan Moe", nil, nil))
	ts.apply(t, "other", group("other", "g1", "G1", nil, nil))
	w := startWatch(t, ts.addr, "--from", "9")
	w.waitFor(t, "user acme/u4", "group other/g1")
	ts.apply(t, "acme", deletedUser("acme", "u1"))
	w.waitFor(t, "user acme/u4", "group other/g1", "user acme/u1 deleted")
	require.Equal(t, 0, w.stop(t))

	// A version of another store is refused: ABORTED, exit 5.
	r := ctl(t, ts.addr, "watch", "--from", "3", "--server-version", "1")
	require.Equal(t, exitError, r.code)
	require.Contains(t, r.stderr, "Aborted: server version mismatch")
	require.Empty(t, r.stdout)
}

// TestWatchServerStops: a stream the server ends exits 4 and says where to resume.
func TestWatchServerStops(t *testing.T) {
	ts := startServer(t)
	w := startWatch(t, ts.addr, "--type", "group")
	w.waitFor(t, "group acme/all", "group acme/eng", "group acme/platform", "group acme/sales", "versions 9")
	ts.stop()
	select {
	case code := <-w.done:
		require.Equal(t, exitUnavailable, code, w.errOut.String())
		w.done <- code
	case <-time.After(5 * time.Second):
		t.Fatal("watch did not end with the server")
	}
	require.Contains(t, w.errOut.String(), "dirsyncctl: watch stopped after record_version 9; resume with --from 9 --server-version ")
	require.Contains(t, w.errOut.String(), "dirsyncctl: Unavailable: ")
}

func TestWatchErrors(t *testing.T) {
	ts := startServer(t)
	for _, c := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"watch", "--type", "device"}, `--type "device": want user or group`},
		{[]string{"watch", "--server-version", "5"}, "--server-version needs --from"},
		{[]string{"watch", "acme"}, "watch: wrong number of arguments"},
	} {
		r := ctl(t, ts.addr, c.args...)
		require.Equal(t, exitUsage, r.code, c.args)
		require.Contains(t, r.stderr, c.stderr)
	}
	r := ctl(t, closedAddr(t), "watch")
	require.Equal(t, exitUnavailable, r.code)
	require.Contains(t, r.stderr, "Unavailable")
}

// deletedUser is the deletion of a user.
func deletedUser(dir, id string) *dirsyncv1.Record {
	return &dirsyncv1.Record{Type: dirsyncv1.RecordType_RECORD_TYPE_USER, Directory: dir, Id: id, Deleted: true}
}
