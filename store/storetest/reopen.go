package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dirsync/dirsync/store"
)

// reopenTest is a subtest of a persistent backend; open opens the subtest's one store path.
type reopenTest struct {
	name string
	fn   func(t *testing.T, open func() store.Store)
}

// reopenTests cover what a persistent backend keeps across Close and Open.
var reopenTests = []reopenTest{
	{"ReopenKeepsEverything", testReopen},
	{"ReopenEmptyKeepsServerVersion", testReopenEmpty},
}

func testReopen(t *testing.T, open func() store.Store) {
	ctx := context.Background()
	s := open()
	apply(t, s, "d", user("d", "u1", ""), user("d", "u2", ""), group("d", "g1", ""))
	apply(t, s, "d", del(userType, "d", "u2"))
	mid := pause()
	_, err := s.Apply(ctx, store.Batch{Directory: "d", Records: records(user("d", "u1", "new"), user("d", "u3", "")), Cursor: []byte("cur"), SetCursor: true})
	require.NoError(t, err)
	n, err := s.Compact(ctx, mid)
	require.NoError(t, err)
	require.Equal(t, 4, n)
	v := versions(t, s)
	require.NotZero(t, v.ServerVersion)
	require.Equal(t, store.Versions{ServerVersion: v.ServerVersion, Latest: 6, Earliest: 4}, v)
	log := changes(t, s, 4)
	live, _ := snapshot(t, s, store.Filter{})
	require.NoError(t, s.Close())

	s = open()
	require.Equal(t, v, versions(t, s))
	require.Equal(t, log, changes(t, s, 4))
	_, err = s.Changes(ctx, 3, 0)
	require.ErrorIs(t, err, store.ErrVersionTooOld)
	got, sv := snapshot(t, s, store.Filter{})
	require.Equal(t, live, got)
	require.Equal(t, v, sv)
	cur, err := s.Cursor(ctx, "d")
	require.NoError(t, err)
	require.Equal(t, []byte("cur"), cur)
	r, err := s.Get(ctx, userType, "d", "u1")
	require.NoError(t, err)
	require.Equal(t, uint64(5), r.Version)

	// Versions go on where they stopped.
	w := apply(t, s, "d", user("d", "u4", ""))
	require.Equal(t, uint64(7), w.Latest)
	requireContiguous(t, 4, changes(t, s, 4))
	wake := s.Changed()
	apply(t, s, "d", user("d", "u5", ""))
	select {
	case <-wake:
	case <-time.After(5 * time.Second):
		t.Fatal("Changed after reopen was not closed by a commit")
	}
}

func testReopenEmpty(t *testing.T, open func() store.Store) {
	s := open()
	v := versions(t, s)
	require.NotZero(t, v.ServerVersion)
	require.NoError(t, s.Close())
	s = open()
	require.Equal(t, v, versions(t, s))
}
