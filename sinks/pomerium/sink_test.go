package pomerium

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/dirsync/dirsync/gen/databroker"
	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/sinks/pomerium/pomeriumtest"
	"github.com/dirsync/dirsync/store"
	"github.com/dirsync/dirsync/store/bolt"
	"github.com/dirsync/dirsync/store/memory"
)

const dir = "corp"

// TestChangesArrive: the initial records, then upserts, deletions and changes of other
// directories and types (which the sink skips) reach the databroker, with status.
func TestChangesArrive(t *testing.T) {
	st := memory.New()
	t.Cleanup(func() { _ = st.Close() })
	key := newKey(t)
	f := pomeriumtest.Start(t, key)
	apply(t, st, dir, user(dir, "u1", "Ann", "g1"), user(dir, "u2", "Bob"), group(dir, "g1", "Eng"))
	apply(t, st, "other", user("other", "x1", "Xavier"))
	reader := sdkmetric.NewManualReader()
	r := runSink(t, st, f, key, []string{dir}, func(c *Config) { c.MeterProvider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)) })
	caughtUp(t, r, st)
	require.Equal(t, userFields("u1", "Ann", "g1"), fields(t, f.Get(TypeUser, "u1")))
	require.Equal(t, userFields("u2", "Bob"), fields(t, f.Get(TypeUser, "u2")))
	require.Equal(t, map[string]any{"id": "g1", "name": "Eng", "email": "g1@example.com"}, fields(t, f.Get(TypeGroup, "g1")))
	require.Nil(t, f.Get(TypeUser, "x1"), "a record of a directory the sink does not push")

	apply(t, st, dir, user(dir, "u2", "Bob B", "g1"), deletion(dir, dirsyncv1.RecordType_RECORD_TYPE_USER, "u1"))
	apply(t, st, "other", user("other", "x2", "Xena"))
	s := caughtUp(t, r, st)
	require.Nil(t, f.Get(TypeUser, "u1"))
	require.Equal(t, userFields("u2", "Bob B", "g1"), fields(t, f.Get(TypeUser, "u2")))
	require.Equal(t, 1, f.Count(TypeUser))
	require.Zero(t, s.LagVersions)
	require.Empty(t, s.LastError)
	require.EqualValues(t, 5, s.RecordsPushed, "3 records at start, then an upsert and a deletion")
	require.NotNil(t, s.LastPush)
	require.NotNil(t, s.LastReconcile)

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	got := map[string]float64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				got[m.Name] = float64(d.DataPoints[0].Value)
			case metricdata.Gauge[int64]:
				got[m.Name] = float64(d.DataPoints[0].Value)
			case metricdata.Gauge[float64]:
				got[m.Name] = d.DataPoints[0].Value
			}
		}
	}
	require.Equal(t, map[string]float64{"dirsync.sink.records_pushed": 5, "dirsync.sink.lag_versions": 0, "dirsync.sink.lag_seconds": 0}, got)
}

// TestRestartedEmptyIsRefilled: a databroker restarted empty (a new server_version) is
// refilled by the periodic reconciliation, and at once when a Put reveals the restart.
func TestRestartedEmptyIsRefilled(t *testing.T) {
	for name, interval := range map[string]time.Duration{"by the periodic reconciliation": 50 * time.Millisecond,
		"at the next change (a Put answers with the new server_version)": time.Hour} {
		t.Run(name, func(t *testing.T) {
			st := memory.New()
			t.Cleanup(func() { _ = st.Close() })
			key := newKey(t)
			f := pomeriumtest.Start(t, key)
			apply(t, st, dir, user(dir, "u1", "Ann", "g1"), user(dir, "u2", "Bob"), group(dir, "g1", "Eng"))
			r := runSink(t, st, f, key, []string{dir}, func(c *Config) { c.ReconcileInterval = interval })
			caughtUp(t, r, st)
			before := f.ServerVersion()
			f.Restart()
			require.NotEqual(t, before, f.ServerVersion())
			require.Zero(t, f.Count(TypeUser))
			if interval == time.Hour {
				apply(t, st, dir, user(dir, "u3", "Cid"))
			}
			eventually(t, func() bool { return f.Count(TypeUser) >= 2 && f.Count(TypeGroup) == 1 }, "not refilled")
			caughtUp(t, r, st)
			require.Equal(t, userFields("u1", "Ann", "g1"), fields(t, f.Get(TypeUser, "u1")))
		})
	}
}

// TestDriftIsRepaired: records edited, removed or added in the databroker behind dirsync's
// back are put right by the next reconciliation; records equal in meaning but encoded
// differently are left alone.
func TestDriftIsRepaired(t *testing.T) {
	st := memory.New()
	t.Cleanup(func() { _ = st.Close() })
	key := newKey(t)
	f := pomeriumtest.Start(t, key)
	apply(t, st, dir, user(dir, "u1", "Ann", "g1", "g2"), user(dir, "u2", "Bob"), group(dir, "g1", "Eng"), group(dir, "g2", "Ops"))
	r := runSink(t, st, f, key, []string{dir}, func(c *Config) { c.ReconcileInterval = 20 * time.Millisecond })
	caughtUp(t, r, st)

	stale, err := structpb.NewStruct(map[string]any{"id": "u1", "display_name": "Mallory", "email": "u1@example.com", "group_ids": []any{"admins"}})
	require.NoError(t, err)
	staleAny, err := anypb.New(stale)
	require.NoError(t, err)
	f.Set(&databroker.Record{Type: TypeUser, Id: "u1", Data: staleAny})
	f.Remove(TypeGroup, "g2")
	f.Set(&databroker.Record{Type: TypeUser, Id: "intruder", Data: staleAny})
	eventually(t, func() bool {
		return f.Get(TypeUser, "intruder") == nil && f.Get(TypeGroup, "g2") != nil &&
			fields(t, f.Get(TypeUser, "u1"))["display_name"] == "Ann"
	}, "drift not repaired")
	require.Equal(t, userFields("u1", "Ann", "g1", "g2"), fields(t, f.Get(TypeUser, "u1")))

	// The same data with its fields in another order (as another writer may encode it)
	// and an extra field is not drift.
	same, err := anypb.New(&structpb.Struct{Fields: map[string]*structpb.Value{
		"id": structpb.NewStringValue("u2"), "email": structpb.NewStringValue("u2@example.com"),
		"display_name": structpb.NewStringValue("Bob"), "group_ids": structpb.NewListValue(&structpb.ListValue{}),
		"extra": structpb.NewBoolValue(true)}})
	require.NoError(t, err)
	f.Set(&databroker.Record{Type: TypeUser, Id: "u2", Data: same})
	since := r.sink.Status().LastReconcile.AsTime()
	eventually(t, func() bool {
		s := r.sink.Status()
		return s.LastReconcile.AsTime().After(since) && s.LastReconcileRepairs == 0
	}, "a reconciliation without repairs")
	require.Equal(t, true, fields(t, f.Get(TypeUser, "u2"))["extra"], "left alone")
}

// TestWrongSecret: with the wrong shared secret nothing is written on either side and the
// status says why; a sink with the right secret then catches up.
func TestWrongSecret(t *testing.T) {
	st := memory.New()
	t.Cleanup(func() { _ = st.Close() })
	key := newKey(t)
	f := pomeriumtest.Start(t, key)
	apply(t, st, dir, user(dir, "u1", "Ann"))
	good := runSink(t, st, f, key, []string{dir}, nil)
	caughtUp(t, good, st)
	good.stop()

	latest := apply(t, st, dir, user(dir, "u2", "Bob"), deletion(dir, dirsyncv1.RecordType_RECORD_TYPE_USER, "u1"))
	bad := runSink(t, st, f, newKey(t), []string{dir}, nil)
	var s *dirsyncv1.SinkStatus
	eventually(t, func() bool {
		s = bad.sink.Status()
		return s.State == dirsyncv1.SinkState_SINK_STATE_BACKING_OFF
	}, "no failure reported")
	require.Contains(t, s.LastError, "Unauthenticated")
	require.Contains(t, s.LastError, "shared_secret")
	require.Less(t, s.LastPushedVersion, latest, "the checkpoint does not pass what was not pushed")
	require.Equal(t, latest-s.LastPushedVersion, s.LagVersions)
	_, _, _, authFailures := f.Stats()
	require.Positive(t, authFailures)
	bad.stop()
	require.NotNil(t, f.Get(TypeUser, "u1"), "nothing deleted in the databroker")
	v, err := st.Versions(context.Background())
	require.NoError(t, err)
	require.Equal(t, latest, v.Latest, "nothing written to the store")

	good = runSink(t, st, f, key, []string{dir}, nil)
	caughtUp(t, good, st)
	require.Nil(t, f.Get(TypeUser, "u1"))
	require.NotNil(t, f.Get(TypeUser, "u2"))
}

// TestResumeAfterKill: a sink stopped in the middle of pushing a backlog resumes from its
// checkpoint in the same bolt file: it pushes only what follows the checkpoint (plus at
// most the batch in flight) and misses nothing, so the reconciliation at start has nothing
// to repair.
func TestResumeAfterKill(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dirsync.db")
	st, err := bolt.Open(path)
	require.NoError(t, err)
	key := newKey(t)
	f := pomeriumtest.Start(t, key)
	apply(t, st, dir, group(dir, "g1", "Eng"))
	r := runSink(t, st, f, key, []string{dir}, nil)
	caughtUp(t, r, st)
	r.stop()

	const n = 5000
	for b := 0; b < n; b += 500 {
		var recs []*dirsyncv1.Record
		for i := b; i < b+500; i++ {
			recs = append(recs, user(dir, "u"+itoa(i), "User "+itoa(i), "g1"))
		}
		apply(t, st, dir, recs...)
	}
	apply(t, st, dir, deletion(dir, dirsyncv1.RecordType_RECORD_TYPE_GROUP, "g1"))
	latest := apply(t, st, dir, group(dir, "g2", "Ops"))

	// Push with 250 changes a batch and stop after the third Put.
	killed := make(chan struct{})
	puts := 0
	f.OnPut(func(int) {
		if puts++; puts == 3 {
			close(killed)
		}
	})
	r = runSink(t, st, f, key, []string{dir}, func(c *Config) { c.ChangesBatch = 250 })
	<-killed
	r.stop()
	f.OnPut(nil)
	require.NoError(t, st.Close())

	st, err = bolt.Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	cp, err := loadCheckpoint(context.Background(), st, "pomerium")
	require.NoError(t, err)
	require.Greater(t, cp.Version, latest-n-2, "the checkpoint moved during the interrupted push")
	require.Less(t, cp.Version, latest, "the push was interrupted")
	_, before, _, _ := f.Stats()
	r = runSink(t, st, f, key, []string{dir}, func(c *Config) { c.ChangesBatch = 250 })
	s := caughtUp(t, r, st)
	_, after, _, _ := f.Stats()
	require.LessOrEqual(t, uint64(after-before), latest-cp.Version+250, "resumed from the checkpoint")
	require.Zero(t, s.LastReconcileRepairs, "the change log delivered everything")
	require.Equal(t, n, f.Count(TypeUser))
	require.Nil(t, f.Get(TypeGroup, "g1"))
	require.NotNil(t, f.Get(TypeGroup, "g2"))
}

// TestOneReplicaRuns: of two sinks with the same name on one store, one pushes and the
// other stands by.
func TestOneReplicaRuns(t *testing.T) {
	st := memory.New()
	t.Cleanup(func() { _ = st.Close() })
	key := newKey(t)
	f := pomeriumtest.Start(t, key)
	apply(t, st, dir, user(dir, "u1", "Ann"))
	a := runSink(t, st, f, key, []string{dir}, func(c *Config) { c.Holder = "a" })
	caughtUp(t, a, st)
	b := runSink(t, st, f, key, []string{dir}, func(c *Config) { c.Holder = "b" })
	latest := apply(t, st, dir, user(dir, "u2", "Bob"))
	caughtUp(t, a, st)
	eventually(t, func() bool { return b.sink.Status().LastPushedVersion == latest }, "standby reports the saved checkpoint")
	require.Equal(t, dirsyncv1.SinkState_SINK_STATE_STANDBY, b.sink.Status().State)
	require.Zero(t, b.sink.Status().RecordsPushed)

	a.stop() // releases the lease: b takes over
	latest = apply(t, st, dir, user(dir, "u3", "Cid"))
	caughtUp(t, b, st)
	require.NotNil(t, f.Get(TypeUser, "u3"))
	require.Equal(t, latest, b.sink.Status().LastPushedVersion)
}

// TestEncoding: the entry read from a stored record's bytes holds, byte for byte, the
// deterministic encoding of the Struct Pomerium expects; canonical re-encodes any Struct of
// the same meaning to it.
func TestEncoding(t *testing.T) {
	for _, tc := range []struct {
		name string
		rec  *dirsyncv1.Record
		want map[string]any
	}{
		{"user", user(dir, "u1", "Ann Ö", "g1", "g2"), userFields("u1", "Ann Ö", "g1", "g2")},
		{"user without groups or name", user(dir, "u2", ""), userFields("u2", "")},
		{"group", group(dir, "g1", "Eng"), map[string]any{"id": "g1", "name": "Eng", "email": "g1@example.com"}},
		{"long strings", user(dir, strings.Repeat("x", 300), strings.Repeat("n", 200), strings.Repeat("g", 150)),
			userFields(strings.Repeat("x", 300), strings.Repeat("n", 200), strings.Repeat("g", 150))},
		{"tombstone", deletion(dir, dirsyncv1.RecordType_RECORD_TYPE_GROUP, "g1"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stored store.Record
			var err error
			if tc.rec.Deleted {
				prev, err := store.Stamp(group(dir, "g1", "Eng"), 6, time.Now())
				require.NoError(t, err)
				stored, err = store.Tombstone(prev.Data, 7, time.Now())
				require.NoError(t, err)
				tc.want = map[string]any{"id": "g1", "name": "Eng", "email": "g1@example.com"}
			} else {
				stored, err = store.Stamp(tc.rec, 7, time.Now())
				require.NoError(t, err)
			}
			e, err := decodeEntry(stored)
			require.NoError(t, err)
			require.Equal(t, tc.rec.Id, e.id)
			want, err := structpb.NewStruct(tc.want)
			require.NoError(t, err)
			b, err := proto.MarshalOptions{Deterministic: true}.Marshal(want)
			require.NoError(t, err)
			require.Equal(t, b, e.data)
			r := e.record(time.Time{})
			require.Equal(t, structTypeURL, r.Data.TypeUrl)
			a, err := anypb.New(want) // not deterministic
			require.NoError(t, err)
			c, err := canonical(e.typ, a)
			require.NoError(t, err)
			require.Equal(t, e.data, c)
		})
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
