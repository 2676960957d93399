package bolt_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	bbolt "go.etcd.io/bbolt"

	"github.com/dirsync/dirsync/store/bolt"
)

// TestOpenAddsStatusesToOlderFile: a file written before statuses were stored (no statuses
// bucket) opens with its data, and statuses work.
func TestOpenAddsStatusesToOlderFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "store")
	s, err := bolt.Open(path)
	require.NoError(t, err)
	v, err := s.Versions(ctx)
	require.NoError(t, err)
	require.NoError(t, s.Close())

	db, err := bbolt.Open(path, 0o600, nil)
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bbolt.Tx) error { return tx.DeleteBucket([]byte("statuses")) }))
	require.NoError(t, db.Close())

	s, err = bolt.Open(path)
	require.NoError(t, err)
	defer s.Close()
	again, err := s.Versions(ctx)
	require.NoError(t, err)
	require.Equal(t, v, again)
	got, err := s.Statuses(ctx)
	require.NoError(t, err)
	require.Empty(t, got)
	require.NoError(t, s.PutStatus(ctx, "d", []byte("idle")))
	got, err = s.Statuses(ctx)
	require.NoError(t, err)
	require.Equal(t, map[string][]byte{"d": []byte("idle")}, got)
}
