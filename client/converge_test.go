package client

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/server"
	"github.com/dirsync/dirsync/store"
	"github.com/dirsync/dirsync/store/memory"
)

// TestConverges: while random batches of upserts and deletes are written, the server is
// restarted twice on the same store and once on a new, empty store (a store reset: another
// server_version), in random order and at random moments. The client's replica ends up
// equal to the store; the callbacks saw every version of the change log exactly once, in
// order, and rebuilt the same records.
func TestConverges(t *testing.T) {
	for seed := range 3 {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { testConverges(t, uint64(seed)) })
	}
}

func testConverges(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	st := memory.New()
	for range 20 {
		randomBatch(t, st, rng)
	}
	ts := startServer(t, st, server.Options{Heartbeat: 20 * time.Millisecond, RingSize: 64})
	m := newMirror(true)
	c := startClient(t, ts, Options{OnChange: m.on})
	require.NoError(t, c.WaitReady(within(t, 10*time.Second)))

	var mu sync.Mutex // guards st, which the reset replaces
	stop := make(chan struct{})
	var writer sync.WaitGroup
	writer.Go(func() {
		rng := rand.New(rand.NewPCG(seed, 2))
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Duration(rng.IntN(2000)) * time.Microsecond):
			}
			mu.Lock()
			randomBatch(t, st, rng)
			mu.Unlock()
		}
	})

	events := []string{"restart", "restart", "reset"}
	rng.Shuffle(len(events), func(i, j int) { events[i], events[j] = events[j], events[i] })
	for _, ev := range events {
		time.Sleep(time.Duration(20+rng.IntN(80)) * time.Millisecond)
		mu.Lock()
		if ev == "reset" {
			st = memory.New()
			for range 5 {
				randomBatch(t, st, rng)
			}
		}
		next := st
		mu.Unlock()
		ts.restart(next)
	}
	time.Sleep(50 * time.Millisecond)
	close(stop)
	writer.Wait()

	v := waitCaughtUp(t, c, st)
	requireReplicaEqual(t, c, st, store.Filter{})
	m.requireEqual(t, storeRecords(t, st, store.Filter{}))
	resets, _, version := m.stats()
	require.Equal(t, 2, resets, "the first snapshot and the one after the store reset")
	require.Equal(t, v.Latest, version)
	metrics := c.Metrics()
	require.Equal(t, uint64(1), metrics.Resyncs)
	require.GreaterOrEqual(t, metrics.Reconnects, uint64(3))
	require.Equal(t, v.ServerVersion, metrics.ServerVersion)
	require.Zero(t, metrics.LagVersions)
}

// randomBatch writes one batch of random upserts and deletes of users and groups to one of
// two directories, drawing ids from small pools so that deletes and updates hit live records.
func randomBatch(t testing.TB, st store.Store, rng *rand.Rand) {
	dir := fmt.Sprintf("dir%d", rng.IntN(2))
	seen := map[string]bool{}
	var recs []*dirsyncv1.Record
	for range 1 + rng.IntN(12) {
		group := rng.IntN(3) == 0
		id := fmt.Sprintf("u%d", rng.IntN(60))
		if group {
			id = fmt.Sprintf("g%d", rng.IntN(15))
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		var rec *dirsyncv1.Record
		if group {
			rec = testGroup(dir, id, fmt.Sprintf("g%d", rng.IntN(15)))
		} else {
			rec = testUser(dir, id, fmt.Sprintf("g%d", rng.IntN(15)), fmt.Sprintf("g%d", rng.IntN(15)))
			rec.GetUser().DisplayName = fmt.Sprintf("User %s rev %d", id, rng.IntN(1000))
		}
		if rng.IntN(4) == 0 {
			rec = tombstone(rec)
		}
		recs = append(recs, rec)
	}
	if _, err := st.Apply(context.Background(), store.Batch{Directory: dir, Records: recs}); err != nil {
		t.Errorf("apply: %v", err)
	}
}
