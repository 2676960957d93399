package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store"
)

// testServer is a Server running on loopback listeners for one test.
type testServer struct {
	*Server
	conn     *grpc.ClientConn
	sync     dirsyncv1.SyncServiceClient
	query    dirsyncv1.DirectoryQueryClient
	httpURL  string
	grpcAddr string
}

// startServer runs a server of st until the test ends.
func startServer(t testing.TB, st store.Store, opts Options) *testServer {
	t.Helper()
	grpcLis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	httpLis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := New(st, log, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, grpcLis, httpLis) }()
	conn, err := grpc.NewClient(grpcLis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() {
		conn.Close()
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Error("server did not stop")
		}
	})
	ts := &testServer{Server: srv, conn: conn, sync: dirsyncv1.NewSyncServiceClient(conn),
		query: dirsyncv1.NewDirectoryQueryClient(conn), httpURL: "http://" + httpLis.Addr().String(),
		grpcAddr: grpcLis.Addr().String()}
	v, err := st.Versions(ctx)
	require.NoError(t, err)
	ts.waitReplica(t, v.Latest)
	return ts
}

// waitReplica waits until the server's replica has applied v.
func (ts *testServer) waitReplica(t testing.TB, v uint64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, ts.Replica().WaitForVersion(ctx, v))
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

func deleted(r *dirsyncv1.Record) *dirsyncv1.Record {
	return &dirsyncv1.Record{Type: r.Type, Directory: r.Directory, Id: r.Id, Deleted: true}
}

func apply(t *testing.T, st store.Store, dir string, recs ...*dirsyncv1.Record) store.Versions {
	t.Helper()
	v, err := st.Apply(context.Background(), store.Batch{Directory: dir, Records: recs})
	require.NoError(t, err)
	return v
}

// recordKey names a record in the maps that tests compare.
func recordKey(r *dirsyncv1.Record) string {
	return fmt.Sprintf("%s/%s/%s", r.Type, r.Directory, r.Id)
}

// storeState returns every live record of st by key, as the deterministic bytes a subscriber
// must end up holding.
func storeState(t *testing.T, st store.Store) (map[string]string, uint64) {
	t.Helper()
	out := map[string]string{}
	v, err := st.Snapshot(context.Background(), store.Filter{}, func(r store.Record) error {
		out[fmt.Sprintf("%s/%s/%s", r.Type, r.Directory, r.ID)] = string(r.Data)
		return nil
	})
	require.NoError(t, err)
	return out, v.Latest
}
