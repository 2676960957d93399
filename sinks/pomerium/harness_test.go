package pomerium

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/dirsync/dirsync/gen/databroker"
	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/sinks/pomerium/pomeriumtest"
	"github.com/dirsync/dirsync/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// waitFor bounds every wait of these tests; they poll for outcomes, never for durations.
const waitFor = 2 * time.Minute

func newKey(t testing.TB) []byte {
	k := make([]byte, 32)
	_, err := rand.Read(k)
	require.NoError(t, err)
	return k
}

// running is a sink running against a fake databroker until stopped or the test ends.
type running struct {
	sink *Sink
	stop func()
}

// runSink dials the fake with key and runs a sink of st pushing dirs; mod adjusts the
// configuration before New.
func runSink(t testing.TB, st store.Store, f *pomeriumtest.Fake, key []byte, dirs []string, mod func(*Config)) *running {
	conn, err := Dial(Target{URL: "http://" + f.Addr, SharedSecret: key})
	require.NoError(t, err)
	cfg := Config{Name: "pomerium", Directories: dirs, Client: databroker.NewDataBrokerServiceClient(conn),
		LeaseTTL: 3 * time.Second, RetryMax: 200 * time.Millisecond}
	if mod != nil {
		mod(&cfg)
	}
	s, err := New(st, cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Run(ctx)
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			<-done
			require.NoError(t, conn.Close())
		})
	}
	t.Cleanup(stop)
	return &running{sink: s, stop: stop}
}

// user returns a user record whose direct group is the first of its effective ones.
func user(dir, id, name string, effective ...string) *dirsyncv1.Record {
	return &dirsyncv1.Record{Type: dirsyncv1.RecordType_RECORD_TYPE_USER, Directory: dir, Id: id,
		Data: &dirsyncv1.Record_User{User: &dirsyncv1.User{Id: id, Directory: dir, DisplayName: name,
			Email: id + "@example.com", GroupIds: effective[:min(1, len(effective))], EffectiveGroupIds: effective}}}
}

func group(dir, id, name string) *dirsyncv1.Record {
	return &dirsyncv1.Record{Type: dirsyncv1.RecordType_RECORD_TYPE_GROUP, Directory: dir, Id: id,
		Data: &dirsyncv1.Record_Group{Group: &dirsyncv1.Group{Id: id, Directory: dir, Name: name, Email: id + "@example.com"}}}
}

func deletion(dir string, t dirsyncv1.RecordType, id string) *dirsyncv1.Record {
	return &dirsyncv1.Record{Type: t, Directory: dir, Id: id, Deleted: true}
}

func apply(t testing.TB, st store.Store, dir string, recs ...*dirsyncv1.Record) uint64 {
	v, err := st.Apply(context.Background(), store.Batch{Directory: dir, Records: recs})
	require.NoError(t, err)
	return v.Latest
}

// fields returns a databroker record's data as a map, or nil for no record.
func fields(t testing.TB, r *databroker.Record) map[string]any {
	if r == nil {
		return nil
	}
	s := new(structpb.Struct)
	require.NoError(t, r.GetData().UnmarshalTo(s))
	return s.AsMap()
}

// userFields is the data Pomerium should hold for a user.
func userFields(id, name string, groups ...string) map[string]any {
	g := make([]any, len(groups))
	for i, x := range groups {
		g[i] = x
	}
	return map[string]any{"id": id, "display_name": name, "email": id + "@example.com", "group_ids": g}
}

// eventually waits until cond holds.
func eventually(t testing.TB, cond func() bool, msg string, args ...any) {
	t.Helper()
	require.Eventually(t, cond, waitFor, 5*time.Millisecond, fmt.Sprintf(msg, args...))
}

// caughtUp waits until the sink has pushed everything up to the store's latest version.
func caughtUp(t testing.TB, r *running, st store.Store) *dirsyncv1.SinkStatus {
	t.Helper()
	var s *dirsyncv1.SinkStatus
	eventually(t, func() bool {
		v, err := st.Versions(context.Background())
		require.NoError(t, err)
		s = r.sink.Status()
		return s.State == dirsyncv1.SinkState_SINK_STATE_FOLLOWING && s.LastPushedVersion == v.Latest
	}, "sink never caught up; last status %v", s)
	return s
}
