package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers/builtin"
	"github.com/dirsync/dirsync/server"
	"github.com/dirsync/dirsync/store"
	"github.com/dirsync/dirsync/store/memory"
	"github.com/dirsync/dirsync/syncer"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testServer is a dirsync server on a loopback port with the records of seed, and a fake
// syncer (see fakeSyncer).
type testServer struct {
	addr  string
	store *memory.Store
	// stop stops the server (streams end with UNAVAILABLE); it runs again at the test's end.
	stop func()
}

// startServer runs a server until the test ends. Idle Sync streams get a checkpoint every
// 50 ms.
func startServer(t *testing.T) *testServer {
	t.Helper()
	st := memory.New()
	seed(t, st)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := server.New(st, slog.New(slog.NewTextHandler(io.Discard, nil)), server.Options{
		Heartbeat: 50 * time.Millisecond, Syncer: fakeSyncer{}, Providers: builtin.Registry(),
		Enrollment: server.EnrollmentOptions{BaseURL: "https://auth.acme.example", Secrets: [][]byte{[]byte(testEnrollmentSecret)}}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, lis, nil) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			require.NoError(t, <-done)
			require.NoError(t, st.Close())
		})
	}
	t.Cleanup(stop)
	ts := &testServer{addr: lis.Addr().String(), store: st, stop: stop}
	ts.waitReplica(t, srv)
	return ts
}

func (ts *testServer) waitReplica(t *testing.T, srv *server.Server) {
	v, err := ts.store.Versions(context.Background())
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, srv.Replica().WaitForVersion(ctx, v.Latest))
}

// apply writes records of one directory and returns the store's versions after them.
func (ts *testServer) apply(t *testing.T, dir string, recs ...*dirsyncv1.Record) store.Versions {
	t.Helper()
	v, err := ts.store.Apply(context.Background(), store.Batch{Directory: dir, Records: recs})
	require.NoError(t, err)
	return v
}

// seed writes directory acme (4 nested groups, 3 users) and the orphan "gone" (1 user).
//
//	all ← eng ← platform;  all ← sales
//	u1 alice: eng;  u2 bob: platform;  u3 carol: sales, suspended
func seed(t *testing.T, st store.Store) {
	apply := func(dir string, recs ...*dirsyncv1.Record) {
		_, err := st.Apply(context.Background(), store.Batch{Directory: dir, Records: recs})
		require.NoError(t, err)
	}
	apply("acme",
		group("acme", "all", "All Staff", nil, nil),
		group("acme", "eng", "Engineering", []string{"all"}, []string{"all"}),
		group("acme", "platform", "Platform", []string{"eng"}, []string{"all", "eng"}),
		group("acme", "sales", "Sales", []string{"all"}, []string{"all"}),
		user("acme", "u1", "Alice Doe", []string{"eng"}, []string{"all", "eng"}),
		user("acme", "u2", "Bob Roe", []string{"platform"}, []string{"all", "eng", "platform"}),
		user("acme", "u3", "Carol Poe", []string{"sales"}, []string{"all", "sales"}),
	)
	suspended := &dirsyncv1.Record{Type: dirsyncv1.RecordType_RECORD_TYPE_USER, Directory: "acme", Id: "u3", Data: &dirsyncv1.Record_User{
		User: &dirsyncv1.User{Id: "u3", Directory: "acme", DisplayName: "Carol Poe", Email: "carol@acme.example",
			State: dirsyncv1.UserState_USER_STATE_SUSPENDED, GroupIds: []string{"sales"}, EffectiveGroupIds: []string{"all", "sales"}}}}
	apply("acme", suspended)
	apply("gone", user("gone", "x1", "Xavier", nil, nil))
}

func user(dir, id, name string, groups, effective []string) *dirsyncv1.Record {
	first := strings.ToLower(strings.Fields(name)[0])
	return &dirsyncv1.Record{Type: dirsyncv1.RecordType_RECORD_TYPE_USER, Directory: dir, Id: id, Data: &dirsyncv1.Record_User{
		User: &dirsyncv1.User{Id: id, Directory: dir, DisplayName: name, Email: first + "@" + dir + ".example",
			State: dirsyncv1.UserState_USER_STATE_ACTIVE, GroupIds: groups, EffectiveGroupIds: effective}}}
}

func group(dir, id, name string, parents, ancestors []string) *dirsyncv1.Record {
	return &dirsyncv1.Record{Type: dirsyncv1.RecordType_RECORD_TYPE_GROUP, Directory: dir, Id: id, Data: &dirsyncv1.Record_Group{
		Group: &dirsyncv1.Group{Id: id, Directory: dir, Name: name, GroupIds: parents, EffectiveGroupIds: ancestors}}}
}

// fakeSyncer serves the admin RPCs with canned outcomes. Configured directories: "acme"
// (succeeds), "broken" (fails), "guarded" (blocked unless forced) and "slow" (runs until the
// call's deadline). Purge deletes nothing and reports 1 record.
type fakeSyncer struct{}

var lastEnd = timestamppb.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))

func (fakeSyncer) Status() []*dirsyncv1.DirectoryStatus {
	idle := dirsyncv1.SyncState_SYNC_STATE_IDLE
	return []*dirsyncv1.DirectoryStatus{
		{Directory: "acme", Provider: "blob", State: idle, LastResult: dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, LastEnd: lastEnd,
			Users: 3, Groups: 4, RecordVersion: 8, LastChanges: 7},
		{Directory: "broken", Provider: "blob", State: dirsyncv1.SyncState_SYNC_STATE_BACKING_OFF,
			LastResult: dirsyncv1.SyncResult_SYNC_RESULT_FAILURE, LastError: "directory.json: unexpected EOF", ConsecutiveFailures: 2},
		{Directory: "guarded", Provider: "blob", State: dirsyncv1.SyncState_SYNC_STATE_BLOCKED,
			LastResult: dirsyncv1.SyncResult_SYNC_RESULT_BLOCKED, LastError: "would delete 6 of 10 records"},
		{Directory: "slow", Provider: "blob", State: idle},
	}
}

func (f fakeSyncer) Configured(dir string) bool {
	for _, s := range f.Status() {
		if s.Directory == dir {
			return true
		}
	}
	return false
}

func (f fakeSyncer) Trigger(ctx context.Context, dir string, force bool) (*dirsyncv1.DirectoryStatus, uint64, error) {
	if dir == "slow" {
		<-ctx.Done()
		return nil, 0, ctx.Err()
	}
	for _, s := range f.Status() {
		if s.Directory == dir {
			if force {
				s.State, s.LastResult, s.LastError, s.LastForced = dirsyncv1.SyncState_SYNC_STATE_IDLE, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, "", true
			}
			return s, 9, nil
		}
	}
	return nil, 0, fmt.Errorf("no directory %q", dir)
}

func (f fakeSyncer) Purge(_ context.Context, dir string) (int, uint64, error) {
	if f.Configured(dir) {
		return 0, 0, syncer.ErrConfigured
	}
	return 1, 10, nil
}

// result is what one dirsyncctl run printed and returned.
type result struct {
	code           int
	stdout, stderr string
}

// ctl runs dirsyncctl against addr.
func ctl(t *testing.T, addr string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	code := run(ctx, append([]string{"--addr", addr}, args...), &out, &errOut)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// jsonOf decodes a command's -o json output into m (of the response's type).
func jsonOf[M proto.Message](t *testing.T, r result, m M) M {
	t.Helper()
	require.Equal(t, 0, r.code, r.stderr)
	require.NoError(t, protojson.Unmarshal([]byte(r.stdout), m), r.stdout)
	return m
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader in different goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
