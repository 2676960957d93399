package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dirsync/dirsync/store"
)

// statusTests cover the syncer's opaque directory statuses.
var statusTests = []test{
	{"StatusesReplaceAndCopy", testStatuses},
}

// testStatuses: PutStatus replaces a directory's status, consumes no version, copies its
// argument; Statuses returns copies of every saved status.
func testStatuses(t *testing.T, s store.Store) {
	ctx := context.Background()
	got, err := s.Statuses(ctx)
	require.NoError(t, err)
	require.Empty(t, got, "a new store")

	in := []byte("running")
	require.NoError(t, s.PutStatus(ctx, "a", in))
	in[0] = 'X' // the store must have copied it
	require.NoError(t, s.PutStatus(ctx, "b", []byte{0, 1, 2}))
	require.NoError(t, s.PutStatus(ctx, "a", []byte("idle")))

	got, err = s.Statuses(ctx)
	require.NoError(t, err)
	require.Equal(t, map[string][]byte{"a": []byte("idle"), "b": {0, 1, 2}}, got)
	got["a"][0] = 'X' // callers own what Statuses returns
	again, err := s.Statuses(ctx)
	require.NoError(t, err)
	require.Equal(t, []byte("idle"), again["a"])

	v, err := s.Versions(ctx)
	require.NoError(t, err)
	require.Zero(t, v.Latest, "statuses consume no version")
	require.ErrorIs(t, s.PutStatus(ctx, "", []byte("x")), store.ErrInvalid)

	done, cancel := context.WithCancel(ctx)
	cancel()
	require.ErrorIs(t, s.PutStatus(done, "a", []byte("late")), context.Canceled)
	_, err = s.Statuses(done)
	require.ErrorIs(t, err, context.Canceled)
}
