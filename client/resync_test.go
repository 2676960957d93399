package client

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/server"
	"github.com/dirsync/dirsync/store"
	"github.com/dirsync/dirsync/store/memory"
)

// TestResyncSwapsWhole: after a store reset, lookups answer from the old replica until the
// new snapshot is complete, then from the new one: a reader never sees a half-loaded replica,
// and the client stays Ready throughout. A WaitForVersion above the old store's version
// returns once the new store's snapshot reaches it.
func TestResyncSwapsWhole(t *testing.T) {
	const users = 20_000
	old := memory.New()
	apply(t, old, "corp", testUser("corp", "old"), testGroup("corp", "g"))
	ts := startServer(t, old, server.Options{Heartbeat: 20 * time.Millisecond})
	c := startClient(t, ts, Options{})
	require.NoError(t, c.WaitReady(within(t, 10*time.Second)))
	oldV := waitCaughtUp(t, c, old)

	fresh := memory.New()
	for i := 0; i < users; i += 10_000 {
		recs := make([]*dirsyncv1.Record, 0, 10_000)
		for j := i; j < i+10_000; j++ {
			recs = append(recs, testUser("corp", fmt.Sprintf("u%06d", j), "g"))
		}
		apply(t, fresh, "corp", recs...)
	}
	newV := apply(t, fresh, "corp", testGroup("corp", "g"))
	require.Greater(t, newV.Latest, oldV.Latest)

	waited := make(chan error, 1)
	go func() { waited <- c.WaitForVersion(within(t, 10*time.Second), oldV.Latest+1) }()

	var sawOld, sawNew atomic.Int64
	stop := make(chan struct{})
	var readers sync.WaitGroup
	var bad atomic.Value
	for range 2 {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Microsecond):
				}
				r := c.Replica()
				n, groups := r.Counts("corp")
				_, errOld := r.User("corp", "old")
				switch {
				case !c.Ready():
					bad.Store("not ready during a resync")
				case n == 1 && groups == 1 && errOld == nil && r.Version() == oldV.Latest:
					sawOld.Add(1)
				case n == users && groups == 1 && errOld != nil && r.Version() == newV.Latest && r.IsMember("corp", "u000042", "g"):
					sawNew.Add(1)
				default:
					bad.Store(fmt.Sprintf("partial replica: %d users, %d groups, old user: %v, version %d", n, groups, errOld, r.Version()))
				}
			}
		})
	}
	time.Sleep(10 * time.Millisecond)
	ts.restart(fresh)
	waitCaughtUp(t, c, fresh)
	require.NoError(t, <-waited)
	time.Sleep(10 * time.Millisecond)
	close(stop)
	readers.Wait()
	require.Nil(t, bad.Load())
	require.Positive(t, sawOld.Load())
	require.Positive(t, sawNew.Load())
	requireReplicaEqual(t, c, fresh, store.Filter{})
	require.Equal(t, uint64(1), c.Metrics().Resyncs)
}

// TestResyncAfterCompaction: a client that was away while the change log was compacted past
// its version is told RECORD_VERSION_TOO_OLD and loads a new snapshot of the same store.
func TestResyncAfterCompaction(t *testing.T) {
	st := memory.New()
	apply(t, st, "corp", testUser("corp", "u1"), testGroup("corp", "g"))
	ts := startServer(t, st, server.Options{})
	c := startClient(t, ts, Options{})
	waitCaughtUp(t, c, st)

	ts.stop()
	apply(t, st, "corp", testUser("corp", "u2", "g"))
	apply(t, st, "corp", tombstone(testUser("corp", "u1")))
	apply(t, st, "corp", testUser("corp", "u3"))
	n, err := st.Compact(context.Background(), time.Now().Add(time.Hour))
	require.NoError(t, err)
	require.Positive(t, n)
	ts.restart(st)

	waitCaughtUp(t, c, st)
	requireReplicaEqual(t, c, st, store.Filter{})
	require.Equal(t, uint64(1), c.Metrics().Resyncs)
}

// TestWaitForVersion: WaitReady and WaitForVersion wait for the client, end with their
// context, and return at once for a version already reached.
func TestWaitForVersion(t *testing.T) {
	st := memory.New()
	v := apply(t, st, "corp", testUser("corp", "u1"))
	ts := startServer(t, st, server.Options{})
	c := New(ts.dial(t), Options{Log: quiet})

	short, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, c.WaitReady(short), context.DeadlineExceeded)
	require.ErrorIs(t, c.WaitForVersion(short, 1), context.DeadlineExceeded)
	require.False(t, c.Ready())
	_, err := c.User("corp", "u1")
	require.ErrorIs(t, err, store.ErrNotFound, "nothing before the first snapshot")

	ctx, stopRun := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	defer func() {
		stopRun()
		require.NoError(t, <-done)
	}()
	require.NoError(t, c.WaitReady(within(t, 10*time.Second)))
	require.Equal(t, v.Latest, c.Version())
	require.Error(t, c.Run(ctx), "a second concurrent Run")

	waited := make(chan error, 1)
	go func() { waited <- c.WaitForVersion(within(t, 10*time.Second), v.Latest+2) }()
	time.Sleep(10 * time.Millisecond)
	apply(t, st, "corp", testUser("corp", "u2"))
	select {
	case err := <-waited:
		t.Fatalf("returned before version %d: %v", v.Latest+2, err)
	case <-time.After(20 * time.Millisecond):
	}
	last := apply(t, st, "corp", testUser("corp", "u3"))
	require.NoError(t, <-waited)
	require.GreaterOrEqual(t, c.Version(), last.Latest)
	_, err = c.User("corp", "u3")
	require.NoError(t, err, "WaitForVersion returns once the change is visible")

	canceled, cancelNow := context.WithCancel(context.Background())
	cancelNow()
	require.NoError(t, c.WaitForVersion(canceled, last.Latest), "already reached")
	require.NoError(t, c.WaitReady(canceled))
}
