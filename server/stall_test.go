package server

import (
	"context"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store"
	"github.com/dirsync/dirsync/store/bolt"
)

// stalledStream opens a Sync stream from the start that the test never reads. Its client has
// a fixed 64 KiB window, so it cannot absorb a burst in transport buffers.
func stalledStream(t *testing.T, ctx context.Context, ts *testServer, serverVersion uint64) dirsyncv1.SyncService_SyncClient {
	conn, err := grpc.NewClient(ts.conn.Target(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithInitialWindowSize(64<<10), grpc.WithInitialConnWindowSize(64<<10))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	stream, err := dirsyncv1.NewSyncServiceClient(conn).Sync(ctx, &dirsyncv1.SyncRequest{ServerVersion: serverVersion})
	require.NoError(t, err)
	_, err = stream.Header()
	require.NoError(t, err)
	return stream
}

func writeBurst(t *testing.T, st store.Store, batches, size int) store.Versions {
	var last store.Versions
	var err error
	for i := range batches {
		last, err = st.Apply(context.Background(), store.Batch{Directory: "corp", Records: benchUsers("corp", i*size, size)})
		require.NoError(t, err)
	}
	return last
}

// TestStalledSubscriber: a client that stops reading blocks neither writers nor other
// subscribers, and the server holds no more memory for it than its ring and one frame,
// however far behind it falls.
func TestStalledSubscriber(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "stall.db"))
	require.NoError(t, err)
	defer st.Close()
	ts := startServer(t, st, Options{RingSize: 256, SendTimeout: time.Hour})
	v, err := st.Versions(context.Background())
	require.NoError(t, err)
	stalledCtx, stopStalled := context.WithCancel(context.Background())
	stalled := stalledStream(t, stalledCtx, ts, v.ServerVersion)

	live := newSubscriber()
	liveCtx, stopLive := context.WithCancel(context.Background())
	defer stopLive()
	go live.runGRPC(liveCtx, ts.sync)

	const batches, size = 100, 1000 // ~20 MiB of records
	last := writeBurst(t, st, batches, size)
	waitFor(t, live, last.Latest)
	got, _, err := live.state()
	require.NoError(t, err)
	require.Len(t, got, batches*size)

	// What the server holds for the stalled stream is freed when it ends.
	held := liveHeap()
	stopStalled()
	_, err = stalled.Recv()
	require.Equal(t, codes.Canceled, status.Code(err))
	time.Sleep(200 * time.Millisecond) // the server's handler returns
	freed := held - liveHeap()
	t.Logf("the stalled stream, %d changes behind, held %d KiB", batches*size, freed/1024)
	require.Less(t, freed, int64(4<<20))
}

// TestBlockedSendTimesOut: a stream whose send stays blocked longer than SendTimeout ends
// with UNAVAILABLE; the client resumes with Sync from the last version it received.
func TestBlockedSendTimesOut(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "timeout.db"))
	require.NoError(t, err)
	defer st.Close()
	ts := startServer(t, st, Options{SendTimeout: 300 * time.Millisecond})
	v, err := st.Versions(context.Background())
	require.NoError(t, err)
	stalled := stalledStream(t, context.Background(), ts, v.ServerVersion)
	last := writeBurst(t, st, 10, 1000) // ~2 MiB: far more than the client's window
	time.Sleep(time.Second)

	var lastVersion uint64
	for {
		resp, err := stalled.Recv()
		if err != nil {
			require.Equal(t, codes.Unavailable, status.Code(err), "%v", err)
			break
		}
		if n := len(resp.Records); n > 0 {
			lastVersion = resp.Records[n-1].Version
		}
	}
	require.Less(t, lastVersion, last.Latest)

	// Resume: exactly the rest, no gap, no duplicate.
	stream, err := ts.sync.Sync(context.Background(), &dirsyncv1.SyncRequest{ServerVersion: v.ServerVersion, RecordVersion: lastVersion})
	require.NoError(t, err)
	next := lastVersion + 1
	for next <= last.Latest {
		resp, err := stream.Recv()
		require.NoError(t, err)
		for _, r := range resp.Records {
			require.Equal(t, next, r.Version)
			next++
		}
	}
}

// liveHeap returns the bytes of live heap objects after full collections.
func liveHeap() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
