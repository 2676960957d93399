package postgres_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store"
)

// TestValuesTheDatabaseCannotHold: strings a text column refuses and keys too long for an
// index are the store's sentinels, not driver errors.
func TestValuesTheDatabaseCannotHold(t *testing.T) {
	s := open(t, newDatabase(t))
	ctx := context.Background()
	userType := dirsyncv1.RecordType_RECORD_TYPE_USER

	for _, dir := range []string{"\xff", "a\x00b"} {
		_, err := s.Get(ctx, userType, dir, "u")
		require.ErrorIs(t, err, store.ErrNotFound, "Get in %q", dir)
		_, err = s.Cursor(ctx, dir)
		require.ErrorIs(t, err, store.ErrNotFound, "Cursor of %q", dir)
		n := 0
		_, err = s.Snapshot(ctx, store.Filter{Directories: []string{dir}}, func(store.Record) error { n++; return nil })
		require.NoError(t, err)
		require.Zero(t, n)
	}
	_, err := s.Apply(ctx, store.Batch{Directory: "\xff", Cursor: []byte("c"), SetCursor: true})
	require.ErrorIs(t, err, store.ErrInvalid, "a directory that is not UTF-8")

	rng := rand.New(rand.NewPCG(1, 2))
	long := make([]byte, 20_000) // random letters: too long for an index key even compressed
	for i := range long {
		long[i] = 'a' + byte(rng.IntN(26))
	}
	_, err = s.Apply(ctx, store.Batch{Directory: "d", Records: []*dirsyncv1.Record{user("d", string(long))}})
	require.ErrorIs(t, err, store.ErrInvalid, "an id too long for an index key")
	v, err := s.Versions(ctx)
	require.NoError(t, err)
	require.Zero(t, v.Latest)

	for _, tc := range [][2]string{{"l\x00", "a"}, {"l", "\xff"}} {
		_, err := s.AcquireLease(ctx, tc[0], tc[1], time.Hour)
		require.ErrorIs(t, err, store.ErrInvalid, "%q", tc)
		require.ErrorIs(t, s.RenewLease(ctx, tc[0], tc[1], time.Hour), store.ErrInvalid)
		require.ErrorIs(t, s.ReleaseLease(ctx, tc[0], tc[1]), store.ErrInvalid)
	}
}

// TestSnapshotStoppedEarly: a Snapshot that fn stops drops its connection rather than read
// the rest, and the store goes on with other connections.
func TestSnapshotStoppedEarly(t *testing.T) {
	s := open(t, newDatabase(t))
	ctx := context.Background()
	_, err := s.Apply(ctx, store.Batch{Directory: "d", Records: users("d", "u", 2000)})
	require.NoError(t, err)
	stop := errors.New("stop")
	for range 5 {
		n := 0
		_, err := s.Snapshot(ctx, store.Filter{}, func(store.Record) error { n++; return stop })
		require.Equal(t, stop, err, "fn's error, as it is")
		require.Equal(t, 1, n)
	}
	n := 0
	v, err := s.Snapshot(ctx, store.Filter{}, func(store.Record) error { n++; return nil })
	require.NoError(t, err)
	require.Equal(t, 2000, n)
	require.Equal(t, uint64(2000), v.Latest)
}
