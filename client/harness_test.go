package client

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	grpcbackoff "google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/server"
	"github.com/dirsync/dirsync/store"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(int) {
		if benchSt != nil {
			benchSt.Close()
			os.RemoveAll(benchDir)
		}
	}))
}

var quiet = slog.New(slog.DiscardHandler)

// testServer runs dirsync servers, one at a time, on one fixed loopback address, so that a
// client's connection outlives a server restart.
type testServer struct {
	t    testing.TB
	addr string
	opts server.Options
	srv  *server.Server // the running server
	stop func()
}

// startServer serves st until the test ends or stop.
func startServer(t testing.TB, st store.Store, opts server.Options) *testServer {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ts := &testServer{t: t, addr: lis.Addr().String(), opts: opts}
	ts.serve(st, lis)
	t.Cleanup(func() { ts.stop() })
	return ts
}

func (ts *testServer) serve(st store.Store, lis net.Listener) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ts.srv = server.New(st, quiet, ts.opts)
	go func() { done <- ts.srv.Run(ctx, lis, nil) }()
	stopped := false
	ts.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			require.NoError(ts.t, err)
		case <-time.After(10 * time.Second):
			ts.t.Fatal("server did not stop")
		}
	}
}

// waitLoaded waits until the server has loaded st into its own replica (which a benchmark
// must not measure).
func (ts *testServer) waitLoaded(t testing.TB, st store.Store) {
	t.Helper()
	v, err := st.Versions(context.Background())
	require.NoError(t, err)
	require.NoError(t, ts.srv.Replica().WaitForVersion(within(t, 5*time.Minute), v.Latest))
}

// restart stops the running server and serves st (the same store or a new one) on the same
// address.
func (ts *testServer) restart(st store.Store) {
	ts.t.Helper()
	ts.stop()
	lis, err := net.Listen("tcp", ts.addr)
	require.NoError(ts.t, err)
	ts.serve(st, lis)
}

// dial connects to ts, reconnecting quickly after a restart.
func (ts *testServer) dial(t testing.TB) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(ts.addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           grpcbackoff.Config{BaseDelay: 10 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 100 * time.Millisecond},
			MinConnectTimeout: time.Second,
		}))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return conn
}

// startClient runs a client of ts until the test ends, and checks that Run then returns nil.
func startClient(t testing.TB, ts *testServer, opts Options) *Client {
	t.Helper()
	if opts.Log == nil {
		opts.Log = quiet
	}
	if opts.MinBackoff == 0 {
		opts.MinBackoff, opts.MaxBackoff = 5*time.Millisecond, 100*time.Millisecond
	}
	c := New(ts.dial(t), opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	return c
}

// within returns a context that ends after d or with the test.
func within(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// waitCaughtUp waits until c holds st's latest version from st's server_version.
func waitCaughtUp(t testing.TB, c *Client, st store.Store) store.Versions {
	t.Helper()
	v, err := st.Versions(context.Background())
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		m := c.Metrics()
		return m.ServerVersion == v.ServerVersion && m.Version >= v.Latest
	}, 10*time.Second, time.Millisecond, "client never reached version %d of server_version %d: %+v", v.Latest, v.ServerVersion, c.Metrics())
	return v
}

// storeRecords returns the live records of st that pass f, decoded, by key.
func storeRecords(t testing.TB, st store.Store, f store.Filter) map[string]*dirsyncv1.Record {
	t.Helper()
	out := map[string]*dirsyncv1.Record{}
	_, err := st.Snapshot(context.Background(), f, func(r store.Record) error {
		rec := &dirsyncv1.Record{}
		if err := proto.Unmarshal(r.Data, rec); err != nil {
			return err
		}
		out[keyOf(rec)] = rec
		return nil
	})
	require.NoError(t, err)
	return out
}

// requireReplicaEqual checks that c's replica holds exactly the records of st that pass f:
// every one of them with equal data, and no other (the per-directory counts match).
func requireReplicaEqual(t testing.TB, c *Client, st store.Store, f store.Filter) {
	t.Helper()
	want := storeRecords(t, st, f)
	r := c.Replica()
	type counts struct{ users, groups int }
	wantCounts := map[string]counts{}
	for k, rec := range want {
		n := wantCounts[rec.GetDirectory()]
		switch rec.GetType() {
		case dirsyncv1.RecordType_RECORD_TYPE_USER:
			n.users++
			got, err := r.User(rec.GetDirectory(), rec.GetId())
			require.NoError(t, err, k)
			require.True(t, proto.Equal(rec.GetUser(), got), "%s: got %v, want %v", k, got, rec.GetUser())
		case dirsyncv1.RecordType_RECORD_TYPE_GROUP:
			n.groups++
			got, err := r.Group(rec.GetDirectory(), rec.GetId())
			require.NoError(t, err, k)
			require.True(t, proto.Equal(rec.GetGroup(), got), "%s: got %v, want %v", k, got, rec.GetGroup())
		}
		wantCounts[rec.GetDirectory()] = n
	}
	gotCounts := map[string]counts{}
	for _, dir := range r.Directories() {
		u, g := r.Counts(dir)
		gotCounts[dir] = counts{u, g}
	}
	require.Equal(t, wantCounts, gotCounts)
}

func keyOf(r *dirsyncv1.Record) string {
	return fmt.Sprintf("%s/%s/%s", r.GetType(), r.GetDirectory(), r.GetId())
}

func testUser(dir, id string, groups ...string) *dirsyncv1.Record {
	return &dirsyncv1.Record{Type: dirsyncv1.RecordType_RECORD_TYPE_USER, Directory: dir, Id: id,
		Data: &dirsyncv1.Record_User{User: &dirsyncv1.User{Id: id, Directory: dir, DisplayName: "User " + id,
			Email: id + "@example.com", State: dirsyncv1.UserState_USER_STATE_ACTIVE, GroupIds: groups}}}
}

func testGroup(dir, id string, parents ...string) *dirsyncv1.Record {
	return &dirsyncv1.Record{Type: dirsyncv1.RecordType_RECORD_TYPE_GROUP, Directory: dir, Id: id,
		Data: &dirsyncv1.Record_Group{Group: &dirsyncv1.Group{Id: id, Directory: dir, Name: "Group " + id, GroupIds: parents}}}
}

func tombstone(r *dirsyncv1.Record) *dirsyncv1.Record {
	return &dirsyncv1.Record{Type: r.Type, Directory: r.Directory, Id: r.Id, Deleted: true}
}

func apply(t testing.TB, st store.Store, dir string, recs ...*dirsyncv1.Record) store.Versions {
	t.Helper()
	v, err := st.Apply(context.Background(), store.Batch{Directory: dir, Records: recs})
	require.NoError(t, err)
	return v
}
