package client

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// fakeSync is a SyncService whose streams a test scripts, to produce what a real server
// does not: silence, protocol violations, a rejected request.
type fakeSync struct {
	dirsyncv1.UnimplementedSyncServiceServer
	latestCalls, syncCalls atomic.Int64
	sync                   func(n int64, req *dirsyncv1.SyncRequest, stream grpc.ServerStreamingServer[dirsyncv1.SyncResponse]) error
}

// SyncLatest sends user u1 at version 1 of server_version 7.
func (f *fakeSync) SyncLatest(_ *dirsyncv1.SyncLatestRequest, stream grpc.ServerStreamingServer[dirsyncv1.SyncLatestResponse]) error {
	f.latestCalls.Add(1)
	u := testUser("corp", "u1")
	u.Version = 1
	if err := stream.Send(&dirsyncv1.SyncLatestResponse{Records: []*dirsyncv1.Record{u}}); err != nil {
		return err
	}
	return stream.Send(&dirsyncv1.SyncLatestResponse{Versions: &dirsyncv1.Versions{ServerVersion: 7, LatestRecordVersion: 1}})
}

func (f *fakeSync) Sync(req *dirsyncv1.SyncRequest, stream grpc.ServerStreamingServer[dirsyncv1.SyncResponse]) error {
	return f.sync(f.syncCalls.Add(1), req, stream)
}

// startFake serves f and returns a client of it, not yet running.
func startFake(t *testing.T, f *fakeSync, opts Options) *Client {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := grpc.NewServer()
	dirsyncv1.RegisterSyncServiceServer(srv, f)
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	opts.Log, opts.MinBackoff, opts.MaxBackoff = quiet, time.Millisecond, 10*time.Millisecond
	return New(conn, opts)
}

// runFor runs c until the test ends and returns Run's result channel.
func runFor(t *testing.T, c *Client) <-chan error {
	ctx, cancel := context.WithCancel(context.Background())
	done, finished := make(chan error, 1), make(chan struct{})
	go func() {
		defer close(finished)
		done <- c.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-finished
	})
	return done
}

// TestIdleStreamReconnects: a Sync stream that stays silent longer than IdleTimeout (a dead
// peer) is ended and resumed from the applied version, keeping the replica.
func TestIdleStreamReconnects(t *testing.T) {
	f := &fakeSync{sync: func(_ int64, req *dirsyncv1.SyncRequest, stream grpc.ServerStreamingServer[dirsyncv1.SyncResponse]) error {
		if req.GetServerVersion() != 7 || req.GetRecordVersion() != 1 {
			return status.Errorf(codes.Internal, "resumed from %d/%d", req.GetServerVersion(), req.GetRecordVersion())
		}
		<-stream.Context().Done()
		return nil
	}}
	c := startFake(t, f, Options{IdleTimeout: 30 * time.Millisecond})
	runFor(t, c)
	require.Eventually(t, func() bool { return f.syncCalls.Load() >= 3 }, 5*time.Second, time.Millisecond)
	m := c.Metrics()
	require.GreaterOrEqual(t, m.Reconnects, uint64(2))
	require.Equal(t, int64(1), f.latestCalls.Load(), "an idle stream is resumed, not resynced")
	_, err := c.User("corp", "u1")
	require.NoError(t, err)
}

// TestProtocolViolationResyncs: a change whose version does not rise is not applied; the
// client loads a new snapshot instead, and callbacks never see a version twice.
func TestProtocolViolationResyncs(t *testing.T) {
	f := &fakeSync{sync: func(n int64, _ *dirsyncv1.SyncRequest, stream grpc.ServerStreamingServer[dirsyncv1.SyncResponse]) error {
		u2 := testUser("corp", "u2")
		u2.Version = 2
		if err := stream.Send(&dirsyncv1.SyncResponse{Records: []*dirsyncv1.Record{u2}}); err != nil {
			return err
		}
		if n == 1 {
			if err := stream.Send(&dirsyncv1.SyncResponse{Records: []*dirsyncv1.Record{u2}}); err != nil {
				return err
			}
		}
		<-stream.Context().Done()
		return nil
	}}
	m := newMirror(true)
	c := startFake(t, f, Options{OnChange: m.on})
	runFor(t, c)
	require.Eventually(t, func() bool {
		_, changes, _ := m.stats()
		return changes == 2
	}, 5*time.Second, time.Millisecond)
	require.Equal(t, int64(2), f.latestCalls.Load())
	require.Equal(t, uint64(1), c.Metrics().Resyncs)
	resets, changes, version := m.stats()
	require.Equal(t, 2, resets)
	require.Equal(t, 2, changes, "version 2 once per snapshot")
	require.Equal(t, uint64(2), version)
	require.NoError(t, m.err)
}

// TestRejectedRequestEndsRun: INVALID_ARGUMENT from the server cannot be retried away: Run
// returns it.
func TestRejectedRequestEndsRun(t *testing.T) {
	f := &fakeSync{sync: func(int64, *dirsyncv1.SyncRequest, grpc.ServerStreamingServer[dirsyncv1.SyncResponse]) error {
		return status.Error(codes.InvalidArgument, "directories: no")
	}}
	done := runFor(t, startFake(t, f, Options{}))
	select {
	case err := <-done:
		require.Equal(t, codes.InvalidArgument, status.Code(err))
	case <-time.After(5 * time.Second):
		t.Fatal("Run still running")
	}
}
