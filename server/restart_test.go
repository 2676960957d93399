package server

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dirsync/dirsync/store"
	"github.com/dirsync/dirsync/store/postgres"
	"github.com/dirsync/dirsync/store/postgres/pgtest"
)

// TestPostgresRestartUnderLoad restarts PostgreSQL (immediate shutdown, as after a crash)
// while a writer applies batches and a subscriber follows the server: the server reconnects
// by itself, and the subscriber ends with exactly the store's records, every committed
// version once. It runs its own cluster so the restart disturbs no other test.
func TestPostgresRestartUnderLoad(t *testing.T) {
	pgtest.AdminDSN(t) // its presence says a cluster can be started here
	// Directly under the temporary directory: the postgres user must be able to reach it.
	dir, err := os.MkdirTemp("", "dirsync-pg-server-")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	script := func(args ...string) string {
		cmd := exec.Command("bash", append([]string{"../.ci/postgres.sh"}, args...)...)
		cmd.Env = append(os.Environ(), "DIRSYNC_PG_DIR="+dir, "DIRSYNC_PG_DURABLE=1")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		require.NoError(t, err, "postgres.sh %v: %s", args, stderr.String())
		return string(out)
	}
	_, dsn, _ := strings.Cut(strings.TrimSpace(script()), "DIRSYNC_TEST_POSTGRES_DSN=")
	require.NotEmpty(t, dsn)
	t.Cleanup(func() { script("stop", "immediate") })

	ctx := context.Background()
	st, err := postgres.Open(ctx, dsn)
	require.NoError(t, err)
	defer st.Close()
	ts := startServer(t, st, Options{Heartbeat: 100 * time.Millisecond})
	sub := newSubscriber()
	subCtx, stopSub := context.WithCancel(ctx)
	defer stopSub()
	go sub.runGRPC(subCtx, ts.sync)

	stop := make(chan struct{})
	written, failed := make(chan int, 1), 0
	go func() {
		ok := 0
		for i := 0; ; i++ {
			select {
			case <-stop:
				written <- ok
				return
			default:
			}
			if _, err := st.Apply(ctx, store.Batch{Directory: "corp", Records: benchUsers("corp", i*10, 10)}); err == nil {
				ok++
			} else {
				failed++
				time.Sleep(20 * time.Millisecond) // down: try the next batch shortly
			}
		}
	}()
	time.Sleep(300 * time.Millisecond)
	script("restart", "immediate")
	time.Sleep(500 * time.Millisecond)
	close(stop)
	batches := <-written
	t.Logf("%d batches written, %d failed while PostgreSQL was down", batches, failed)
	require.Greater(t, batches, 0)

	want, latest := storeState(t, st)
	require.Len(t, want, batches*10, "every acknowledged batch is stored once")
	waitFor(t, sub, latest)
	got, _, err := sub.state()
	require.NoError(t, err)
	require.Equal(t, want, got)
}
