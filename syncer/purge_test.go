package syncer

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store"
)

func TestPurge(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	users, groups := fixture()
	// "old" was synced by an earlier configuration.
	old := New(st, []Directory{{Name: "old", Source: newSource(full(users, groups, "c1"))}}, Options{})
	_, _, err := func() (*dirsyncv1.DirectoryStatus, uint64, error) {
		stop := start(t, old)
		defer stop()
		return old.Trigger(ctx, "old", false)
	}()
	require.NoError(t, err)

	s := New(st, []Directory{testDir(newSource(full(users, groups, "c1")))}, Options{})
	start(t, s)
	firstRun(t, s)
	v0 := latest(t, st)

	_, _, err = s.Purge(ctx, dir)
	require.ErrorIs(t, err, ErrConfigured)
	_, _, err = s.Purge(ctx, "nope")
	require.ErrorIs(t, err, ErrUnknownDirectory)
	require.ErrorIs(t, err, store.ErrNotFound)

	// Another process holding the directory's lease (it still has it configured) wins.
	held, err := st.AcquireLease(ctx, leaseName("old"), "other", ttlForever)
	require.NoError(t, err)
	require.True(t, held)
	_, _, err = s.Purge(ctx, "old")
	require.ErrorIs(t, err, ErrNotLeader)
	require.NoError(t, st.ReleaseLease(ctx, leaseName("old"), "other"))

	n, v, err := s.Purge(ctx, "old")
	require.NoError(t, err)
	require.Equal(t, 10, n)
	require.Equal(t, v0+10, v)
	require.Empty(t, live(t, st, "old"))
	require.Len(t, live(t, st, dir), 10, "other directories are untouched")
	for _, k := range changed(t, st, v0) {
		require.Equal(t, "-", k[:1])
	}
	_, err = st.Cursor(ctx, "old")
	require.ErrorIs(t, err, store.ErrNotFound)

	_, _, err = s.Purge(ctx, "old")
	require.ErrorIs(t, err, ErrUnknownDirectory, "nothing left to purge")
}

const ttlForever = 1 << 40
