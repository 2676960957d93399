package client

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/server"
	"github.com/dirsync/dirsync/store/memory"
)

// TestMetricsLag: while the client is busy applying (a slow callback), the batches and
// checkpoints its reader has already received show as lag in versions and seconds; once it
// has caught up, both are 0 again.
func TestMetricsLag(t *testing.T) {
	st := memory.New()
	v0 := apply(t, st, "corp", testGroup("corp", "g"))
	ts := startServer(t, st, server.Options{Heartbeat: 10 * time.Millisecond})
	busy := make(chan struct{}, 1)
	c := startClient(t, ts, Options{OnChange: func(ch Change) {
		if !ch.Reset && !ch.Snapshot {
			select {
			case busy <- struct{}{}:
			default:
			}
			time.Sleep(20 * time.Millisecond)
		}
	}})
	waitCaughtUp(t, c, st)
	m := c.Metrics()
	require.Equal(t, Metrics{Version: v0.Latest, ServerVersion: v0.ServerVersion, RecordsApplied: 1}, m)

	users := func(from int) []*dirsyncv1.Record {
		var recs []*dirsyncv1.Record
		for i := from; i < from+10; i++ {
			recs = append(recs, testUser("corp", fmt.Sprintf("u%d", i), "g"))
		}
		return recs
	}
	apply(t, st, "corp", users(0)...) // 10 changes: 200ms of callbacks
	<-busy
	second := apply(t, st, "corp", users(10)...)
	require.Eventually(t, func() bool {
		m = c.Metrics()
		return m.LagVersions > 0 && m.LagSeconds > 0
	}, 5*time.Second, time.Millisecond, "no lag while the callbacks run: %+v", c.Metrics())
	require.LessOrEqual(t, m.LagVersions, uint64(20))
	require.Less(t, m.Version, second.Latest)

	waitCaughtUp(t, c, st)
	require.Eventually(t, func() bool {
		m = c.Metrics()
		return m.LagVersions == 0 && m.LagSeconds == 0
	}, 5*time.Second, time.Millisecond)
	require.Equal(t, Metrics{Version: second.Latest, ServerVersion: v0.ServerVersion, RecordsApplied: 21}, m)
}
