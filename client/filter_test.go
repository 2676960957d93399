package client

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/server"
	"github.com/dirsync/dirsync/store"
	"github.com/dirsync/dirsync/store/memory"
)

var (
	users  = []dirsyncv1.RecordType{dirsyncv1.RecordType_RECORD_TYPE_USER}
	groups = []dirsyncv1.RecordType{dirsyncv1.RecordType_RECORD_TYPE_GROUP}
)

// TestFilters: a client with directory and type filters holds exactly the matching records,
// its callbacks see only matching changes, and checkpoints carry its version past the
// changes its filters excluded, so WaitForVersion of the store's latest version returns.
func TestFilters(t *testing.T) {
	for _, tc := range []struct {
		name  string
		dirs  []string
		types []dirsyncv1.RecordType
	}{
		{"all", nil, nil},
		{"directory", []string{"a"}, nil},
		{"type", nil, users},
		{"directory and type", []string{"a"}, groups},
		{"two directories", []string{"a", "b"}, groups},
		{"unknown directory", []string{"nope"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := memory.New()
			for _, dir := range []string{"a", "b", "c"} {
				apply(t, st, dir, testGroup(dir, "g1"), testGroup(dir, "g2", "g1"), testUser(dir, "u1", "g2"), testUser(dir, "u2"))
			}
			ts := startServer(t, st, server.Options{Heartbeat: 10 * time.Millisecond})
			m := newMirror(len(tc.dirs)+len(tc.types) == 0)
			f := store.Filter{Directories: tc.dirs, Types: tc.types}
			var unmatched atomic.Int64
			c := startClient(t, ts, Options{Directories: tc.dirs, Types: tc.types, OnChange: func(ch Change) {
				if r := ch.Record; r != nil && !f.Match(r.GetType(), r.GetDirectory()) {
					unmatched.Add(1)
				}
				m.on(ch)
			}})
			waitCaughtUp(t, c, st)
			requireReplicaEqual(t, c, st, f)

			for _, dir := range []string{"c", "b", "a"} {
				apply(t, st, dir, testUser(dir, "u3", "g1"), tombstone(testUser(dir, "u2")), testGroup(dir, "g3"))
			}
			last := apply(t, st, "c", testUser("c", "u9")) // filtered out unless "all"
			require.NoError(t, c.WaitForVersion(within(t, 5*time.Second), last.Latest))
			requireReplicaEqual(t, c, st, f)
			m.requireEqual(t, storeRecords(t, st, f))
			require.Zero(t, unmatched.Load(), "callbacks for records the filters exclude")
		})
	}
}

// TestInvalidFilters: Run rejects filters the server would reject, at once.
func TestInvalidFilters(t *testing.T) {
	ts := startServer(t, memory.New(), server.Options{})
	for _, opts := range []Options{
		{Types: []dirsyncv1.RecordType{dirsyncv1.RecordType_RECORD_TYPE_UNSPECIFIED}},
		{Types: []dirsyncv1.RecordType{42}},
		{Directories: []string{"a", ""}},
	} {
		c := New(ts.dial(t), opts)
		require.Error(t, c.Run(within(t, 5*time.Second)), "%+v", opts)
	}
}
