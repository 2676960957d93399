package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dirsync/dirsync/store"
)

// retentionTests cover Compact and ErrVersionTooOld.
var retentionTests = []test{
	{"CompactRemovesOldChanges", testCompact},
	{"CompactKeepsNewest", testCompactKeepsNewest},
}

// pause makes the commit times before and after it differ, and returns a time between them.
func pause() time.Time {
	time.Sleep(2 * time.Millisecond)
	mid := time.Now()
	time.Sleep(2 * time.Millisecond)
	return mid
}

func testCompact(t *testing.T, s store.Store) {
	ctx := context.Background()
	n, err := s.Compact(ctx, time.Now())
	require.NoError(t, err)
	require.Zero(t, n, "empty store")

	apply(t, s, "d", user("d", "u1", ""), user("d", "u2", ""), user("d", "u3", ""))
	apply(t, s, "d", del(userType, "d", "u2"))
	mid := pause()
	apply(t, s, "d", user("d", "u4", ""), user("d", "u1", "updated"))
	all := changes(t, s, 0)
	live, _ := snapshot(t, s, store.Filter{})

	n, err = s.Compact(ctx, mid.Add(-time.Hour))
	require.NoError(t, err)
	require.Zero(t, n, "nothing is that old")
	require.Zero(t, versions(t, s).Earliest)

	n, err = s.Compact(ctx, mid)
	require.NoError(t, err)
	require.Equal(t, 4, n)
	v := versions(t, s)
	require.Equal(t, uint64(4), v.Earliest)
	require.Equal(t, uint64(6), v.Latest)

	for _, after := range []uint64{0, 1, 3} {
		_, err := s.Changes(ctx, after, 0)
		require.ErrorIs(t, err, store.ErrVersionTooOld, "Changes(%d)", after)
	}
	require.Equal(t, all[4:], changes(t, s, 4))
	require.Equal(t, all[5:], changes(t, s, 5))
	require.Empty(t, changes(t, s, 6))

	// Live records stay, whatever happened to their changes; the compacted tombstone stays
	// dead.
	got, sv := snapshot(t, s, store.Filter{})
	require.Equal(t, live, got)
	require.Equal(t, v, sv)

	n, err = s.Compact(ctx, mid)
	require.NoError(t, err)
	require.Zero(t, n, "compacting again")
	require.Equal(t, v, versions(t, s))
}

func testCompactKeepsNewest(t *testing.T, s store.Store) {
	ctx := context.Background()
	apply(t, s, "d", user("d", "u1", ""), user("d", "u2", ""))
	apply(t, s, "d", del(userType, "d", "u1"))
	tomb := changes(t, s, 2)
	pause()

	n, err := s.Compact(ctx, time.Now().Add(time.Hour))
	require.NoError(t, err)
	require.Equal(t, 2, n)
	v := versions(t, s)
	require.Equal(t, uint64(2), v.Earliest)
	require.Equal(t, uint64(3), v.Latest)
	require.Equal(t, tomb, changes(t, s, 2))
	_, err = s.Changes(ctx, 1, 0)
	require.ErrorIs(t, err, store.ErrVersionTooOld)

	// Versions go on after compaction.
	v = apply(t, s, "d", user("d", "u3", ""))
	require.Equal(t, uint64(4), v.Latest)
	require.Equal(t, uint64(2), v.Earliest)
	requireContiguous(t, 2, changes(t, s, 2))
}
