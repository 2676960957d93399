package postgres_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dirsync/dirsync/store"
)

// cluster is a PostgreSQL cluster of one test, started by .ci/postgres.sh in a directory of
// its own, so that the test can restart it without disturbing the others.
type cluster struct {
	t   *testing.T
	dir string
	dsn string
}

// newCluster starts a durable cluster (synchronous commits on, so that an immediate
// shutdown keeps every acknowledged commit) and stops it when t ends.
func newCluster(t *testing.T) *cluster {
	t.Helper()
	needPostgres(t)
	dir, err := os.MkdirTemp("", "dirsync-pg-restart-")
	require.NoError(t, err)
	c := &cluster{t: t, dir: dir}
	t.Cleanup(func() {
		c.script("stop", "immediate")
		_ = os.RemoveAll(dir)
	})
	out := c.script()
	_, c.dsn, _ = strings.Cut(strings.TrimSpace(out), "DIRSYNC_TEST_POSTGRES_DSN=")
	require.NotEmpty(t, c.dsn, "postgres.sh printed %q", out)
	return c
}

// script runs .ci/postgres.sh with args on the cluster and returns its standard output.
func (c *cluster) script(args ...string) string {
	c.t.Helper()
	cmd := exec.Command("bash", append([]string{filepath.Join("..", "..", ".ci", "postgres.sh")}, args...)...)
	cmd.Env = append(os.Environ(), "DIRSYNC_PG_DIR="+c.dir, "DIRSYNC_PG_DURABLE=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(c.t, err, "postgres.sh %v: %s", args, stderr.String())
	return string(out)
}

// TestClusterRestartUnderLoad restarts PostgreSQL, gently then as after a crash, while
// writers and a reader work: calls fail while it is down and succeed once it is back, with
// nothing lost or written twice, and Changed keeps working.
func TestClusterRestartUnderLoad(t *testing.T) {
	c := newCluster(t)
	s, tail := open(t, c.dsn), open(t, c.dsn)
	done := make(chan struct{})
	l := &load{writers: 2, batches: 20, size: 5, until: done}
	go func() {
		defer close(done)
		for _, mode := range []string{"fast", "immediate"} {
			time.Sleep(300 * time.Millisecond)
			c.script("restart", mode)
		}
	}()
	l.run(t, s, tail)
	<-done
	t.Logf("%d batches, %d Apply calls failed (%d of unknown outcome)", l.written.Load(), l.failures.Load(), l.unknown.Load())
	require.Positive(t, l.failures.Load(), "no Apply failed while the database was down: the test proves nothing")
	l.check(t, s)

	// Both stores listen again: a commit of one wakes the other.
	wake := tail.Changed()
	_, err := s.Apply(context.Background(), store.Batch{Directory: "d", Records: users("d", "after", 1)})
	require.NoError(t, err)
	requireClosedWithin(t, wake, 5*time.Second, "Changed after the restarts")
}
