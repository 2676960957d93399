package bolt

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store"
)

// crashEnv, when set to a path, turns TestCrashRecovery into the child that writes to it.
const crashEnv = "DIRSYNC_BOLT_CRASH_CHILD"

const (
	crashBatch = 500   // records per batch
	crashKeys  = 3_000 // key space, so that later batches overwrite earlier records
	crashDir   = "crash"
)

// TestCrashRecovery runs a child process that commits batches to a store in a loop, kills it
// with SIGKILL at a random moment, and checks what a reopened store holds: every batch whole
// or absent, versions contiguous, the cursor in step with the records. It does so three
// times on the same file, the child resuming after the last batch that survived.
func TestCrashRecovery(t *testing.T) {
	if path := os.Getenv(crashEnv); path != "" {
		crashChild(t, path)
		return
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	for round := range 3 {
		reported := crashRun(t, path, 2+rand.IntN(8))
		committed := checkCrashed(t, path)
		require.GreaterOrEqual(t, committed, reported, "round %d: a batch reported committed was lost", round)
	}
	// Versions go on after the crashes; none is reused.
	s, err := Open(path)
	require.NoError(t, err)
	defer s.Close()
	before, err := s.Versions(context.Background())
	require.NoError(t, err)
	after, err := s.Apply(context.Background(), store.Batch{Directory: crashDir, Records: crashRecords(0)})
	require.NoError(t, err)
	require.Equal(t, before.Latest+crashBatch, after.Latest)
}

// crashRun starts the child on path, lets it report at least more commits, kills it at a
// random moment after that, and returns the last batch it reported committed.
func crashRun(t *testing.T, path string, more int) int {
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashRecovery$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	lines := bufio.NewScanner(out)
	last, seen := 0, 0
	for seen < more && lines.Scan() {
		if n, ok := strings.CutPrefix(lines.Text(), "committed "); ok {
			last, err = strconv.Atoi(n)
			require.NoError(t, err)
			seen++
		}
	}
	require.Equal(t, more, seen, "the child stopped early")
	time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	for lines.Scan() { // commits reported before the kill landed
		if n, ok := strings.CutPrefix(lines.Text(), "committed "); ok {
			last, _ = strconv.Atoi(n)
		}
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit)
	require.Equal(t, syscall.SIGKILL, exit.Sys().(syscall.WaitStatus).Signal(), "the child died before the kill")
	return last
}

// crashRecords returns batch n: crashBatch users tagged with n.
func crashRecords(n int) []*dirsyncv1.Record {
	recs := make([]*dirsyncv1.Record, crashBatch)
	for i := range recs {
		id := crashID(n, i)
		recs[i] = &dirsyncv1.Record{Type: dirsyncv1.RecordType_RECORD_TYPE_USER, Directory: crashDir, Id: id, Data: &dirsyncv1.Record_User{User: &dirsyncv1.User{
			Id: id, Directory: crashDir, DisplayName: fmt.Sprintf("batch %d", n), Username: strconv.Itoa(n),
		}}}
	}
	return recs
}

// crashID returns the id of record i of batch n.
func crashID(n, i int) string { return fmt.Sprintf("u%05d", (n*crashBatch+i*7)%crashKeys) }

// crashChild commits batches after the last one in the store until it is killed, printing
// "committed N" after each; it gives up after a minute.
func crashChild(t *testing.T, path string) {
	ctx := context.Background()
	s, err := Open(path)
	require.NoError(t, err)
	n := 0
	if c, err := s.Cursor(ctx, crashDir); err == nil {
		n, err = strconv.Atoi(string(c))
		require.NoError(t, err)
	}
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); {
		n++
		_, err := s.Apply(ctx, store.Batch{Directory: crashDir, Records: crashRecords(n), Cursor: []byte(strconv.Itoa(n)), SetCursor: true})
		require.NoError(t, err)
		fmt.Printf("committed %d\n", n)
	}
	t.Fatal("the parent did not kill the child")
}

// checkCrashed opens the store at path after a crash, checks it, and returns how many batches
// it holds.
func checkCrashed(t *testing.T, path string) int {
	ctx := context.Background()
	s, err := Open(path)
	require.NoError(t, err, "reopening after the crash")
	defer s.Close()
	c, err := s.Cursor(ctx, crashDir)
	require.NoError(t, err)
	batches, err := strconv.Atoi(string(c))
	require.NoError(t, err)
	v, err := s.Versions(ctx)
	require.NoError(t, err)
	require.Equal(t, uint64(batches*crashBatch), v.Latest, "latest version against the cursor's batch count")

	all, err := s.Changes(ctx, 0, 0)
	require.NoError(t, err)
	require.Len(t, all, int(v.Latest))
	live := make(map[string]store.Record)
	for i, c := range all {
		require.Equal(t, uint64(i+1), c.Version, "gap in the change log")
		r, err := c.Decode()
		require.NoError(t, err)
		n := i/crashBatch + 1
		require.Equal(t, strconv.Itoa(n), r.GetUser().GetUsername(), "version %d belongs to batch %d", c.Version, n)
		require.Equal(t, crashID(n, i%crashBatch), c.ID, "version %d", c.Version)
		live[c.ID] = c
	}
	n := 0
	_, err = s.Snapshot(ctx, store.Filter{}, func(r store.Record) error {
		n++
		want, ok := live[r.ID]
		if !ok || want.Version != r.Version || string(want.Data) != string(r.Data) {
			return fmt.Errorf("snapshot record %s at %d does not match the change log", r.ID, r.Version)
		}
		return nil
	})
	require.NoError(t, err)
	require.Len(t, live, n)
	return batches
}
