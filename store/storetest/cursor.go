package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store"
)

// cursorTests cover provider cursors saved with batches.
var cursorTests = []test{
	{"CursorSavedWithBatch", testCursor},
}

func testCursor(t *testing.T, s store.Store) {
	ctx := context.Background()
	requireCursor := func(dir string, want []byte) {
		t.Helper()
		got, err := s.Cursor(ctx, dir)
		if want == nil {
			require.ErrorIs(t, err, store.ErrNotFound, "cursor of %q", dir)
			return
		}
		require.NoError(t, err)
		require.Equal(t, want, got, "cursor of %q", dir)
	}
	batch := func(dir string, cursor []byte, set bool, recs ...*dirsyncv1.Record) store.Versions {
		t.Helper()
		v, err := s.Apply(ctx, store.Batch{Directory: dir, Records: recs, Cursor: cursor, SetCursor: set})
		require.NoError(t, err)
		return v
	}
	requireCursor("d", nil)

	in := []byte("page-1")
	v := batch("d", in, true, user("d", "u1", ""))
	require.Equal(t, uint64(1), v.Latest)
	in[0] = 'X' // the store keeps its own copy
	requireCursor("d", []byte("page-1"))
	got, _ := s.Cursor(ctx, "d")
	got[0] = 'Y' // and hands out copies
	requireCursor("d", []byte("page-1"))
	requireCursor("e", nil)

	v = batch("d", []byte("page-2"), true)
	require.Equal(t, uint64(1), v.Latest, "a cursor-only batch consumes no version")
	requireCursor("d", []byte("page-2"))

	batch("d", []byte("ignored"), false, user("d", "u2", ""))
	requireCursor("d", []byte("page-2"))

	batch("e", []byte("other"), true)
	requireCursor("e", []byte("other"))
	requireCursor("d", []byte("page-2"))

	_, err := s.Apply(ctx, store.Batch{Directory: "d", Records: []*dirsyncv1.Record{user("d", "u3", ""), user("d", "u3", "")}, Cursor: []byte("page-3"), SetCursor: true})
	require.ErrorIs(t, err, store.ErrInvalid)
	requireCursor("d", []byte("page-2"))

	v = batch("d", nil, true, user("d", "u3", ""))
	require.Equal(t, uint64(3), v.Latest)
	requireCursor("d", nil)
	batch("e", []byte{}, true)
	requireCursor("e", nil)
}
