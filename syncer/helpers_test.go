package syncer

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/store"
	"github.com/dirsync/dirsync/store/memory"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const dir = "corp"

// syncFunc is what a fakeSource answers.
type syncFunc func(ctx context.Context, cursor []byte) (*providers.Result, error)

// fakeSource is a providers.Provider whose answers a test sets; it records the cursors it
// was called with.
type fakeSource struct {
	mu      sync.Mutex
	fn      syncFunc
	cursors [][]byte
}

func newSource(fn syncFunc) *fakeSource { return &fakeSource{fn: fn} }

func (f *fakeSource) Sync(ctx context.Context, cursor []byte) (*providers.Result, error) {
	f.mu.Lock()
	fn := f.fn
	f.cursors = append(f.cursors, slices.Clone(cursor))
	f.mu.Unlock()
	return fn(ctx, cursor)
}

func (f *fakeSource) set(fn syncFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fn = fn
}

// seen returns the cursors of every call so far, as strings ("" for nil).
func (f *fakeSource) seen() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.cursors {
		out = append(out, string(c))
	}
	return out
}

// full answers a full snapshot of fresh copies of users and groups with cursor, reporting
// one request and what it read.
func full(users []*dirsyncv1.User, groups []*dirsyncv1.Group, cursor string) syncFunc {
	return func(ctx context.Context, _ []byte) (*providers.Result, error) {
		p := providers.ProgressFrom(ctx)
		p.Request()
		p.Read(len(users), len(groups))
		return &providers.Result{Full: true, Users: clones(users), Groups: clones(groups), Cursor: []byte(cursor)}, nil
	}
}

func clones[M proto.Message](ms []M) []M {
	out := make([]M, len(ms))
	for i, m := range ms {
		out[i] = proto.Clone(m).(M)
	}
	return out
}

// fixture is a small company: 4 groups (sre nested in eng and ops, both in all) and 6 users.
func fixture() ([]*dirsyncv1.User, []*dirsyncv1.Group) {
	attrs, err := structpb.NewStruct(map[string]any{"title": "engineer", "level": 3, "remote": true, "tags": []any{"a", "b"}})
	if err != nil {
		panic(err)
	}
	groups := []*dirsyncv1.Group{
		{Id: "all", Name: "Everyone"},
		{Id: "eng", Name: "Engineering", GroupIds: []string{"all"}},
		{Id: "ops", Name: "Operations", GroupIds: []string{"all"}},
		{Id: "sre", Name: "SRE", GroupIds: []string{"ops", "eng"}},
	}
	users := []*dirsyncv1.User{
		{Id: "u1", DisplayName: "Ann", Email: "ann@example.com", State: dirsyncv1.UserState_USER_STATE_ACTIVE, GroupIds: []string{"eng"}, Attributes: attrs},
		{Id: "u2", DisplayName: "Bob", Email: "bob@example.com", GroupIds: []string{"sre"}},
		{Id: "u3", DisplayName: "Cy", Email: "cy@example.com", GroupIds: []string{"ops"}},
		{Id: "u4", DisplayName: "Di", Email: "di@example.com", GroupIds: []string{"all"}},
		{Id: "u5", DisplayName: "Ed", Email: "ed@example.com", State: dirsyncv1.UserState_USER_STATE_SUSPENDED},
		{Id: "u6", DisplayName: "Flo", Email: "flo@example.com", GroupIds: []string{"ghost", "eng", "eng"}},
	}
	return users, groups
}

// testDir returns the directory "corp" read from src, with delays long enough that only
// triggers run it after its first run.
func testDir(src providers.Provider) Directory {
	return Directory{Name: dir, Provider: "fake", Source: src,
		Polling: Polling{MinDelay: time.Hour, MaxDelay: 2 * time.Hour, Timeout: 5 * time.Second}}
}

// start runs s until the test ends (or the returned stop is called).
func start(t *testing.T, s *Syncer) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Run(ctx)
	}()
	stop = sync.OnceFunc(func() {
		cancel()
		<-done
	})
	t.Cleanup(stop)
	return stop
}

// firstRun waits for the end of the directory's first run and returns its status.
func firstRun(t *testing.T, s *Syncer) *dirsyncv1.DirectoryStatus {
	t.Helper()
	var st *dirsyncv1.DirectoryStatus
	require.Eventually(t, func() bool {
		st = status(t, s)
		return st.LastEnd != nil && st.State != dirsyncv1.SyncState_SYNC_STATE_RUNNING
	}, 5*time.Second, time.Millisecond)
	return st
}

func status(t *testing.T, s *Syncer) *dirsyncv1.DirectoryStatus {
	t.Helper()
	st, err := s.StatusOf(dir)
	require.NoError(t, err)
	return st
}

// trigger runs a sync and returns its status and version.
func trigger(t *testing.T, s *Syncer, force bool) (*dirsyncv1.DirectoryStatus, uint64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, v, err := s.Trigger(ctx, dir, force)
	require.NoError(t, err)
	return st, v
}

func latest(t *testing.T, st store.Store) uint64 {
	t.Helper()
	v, err := st.Versions(context.Background())
	require.NoError(t, err)
	return v.Latest
}

// live returns the live records of dir, keyed "user/<id>" or "group/<id>".
func live(t *testing.T, st store.Store, d string) map[string]*dirsyncv1.Record {
	t.Helper()
	out := map[string]*dirsyncv1.Record{}
	_, err := st.Snapshot(context.Background(), store.Filter{Directories: []string{d}}, func(r store.Record) error {
		rec, err := r.Decode()
		if err != nil {
			return err
		}
		out[keyOf(r)] = rec
		return nil
	})
	require.NoError(t, err)
	return out
}

// changed returns the changes after version v as sorted keys, tombstones prefixed by "-".
func changed(t *testing.T, st store.Store, v uint64) []string {
	t.Helper()
	cs, err := st.Changes(context.Background(), v, 0)
	require.NoError(t, err)
	out := []string{}
	for _, c := range cs {
		k := keyOf(c)
		if c.Deleted {
			k = "-" + k
		}
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func keyOf(r store.Record) string {
	if r.Type == dirsyncv1.RecordType_RECORD_TYPE_USER {
		return "user/" + r.ID
	}
	return fmt.Sprintf("group/%s", r.ID)
}

// savedCursor returns the provider cursor saved for dir ("" for none) and the envelope.
func savedCursor(t *testing.T, st store.Store) envelope {
	t.Helper()
	raw, err := st.Cursor(context.Background(), dir)
	require.NoError(t, err)
	return decodeEnvelope(raw)
}

// newStore returns a memory store closed at the end of the test.
func newStore(t *testing.T) *memory.Store {
	st := memory.New()
	t.Cleanup(func() { _ = st.Close() })
	return st
}
