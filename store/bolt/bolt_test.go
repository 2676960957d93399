package bolt_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bbolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
	"go.uber.org/goleak"

	"github.com/dirsync/dirsync/store"
	"github.com/dirsync/dirsync/store/bolt"
	"github.com/dirsync/dirsync/store/storetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestConformance(t *testing.T) {
	storetest.RunPersistent(t, func(t *testing.T, path string) store.Store {
		s, err := bolt.Open(path)
		require.NoError(t, err)
		return s
	})
}

func TestOpenRefusesOtherFiles(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage")
	require.NoError(t, os.WriteFile(garbage, make([]byte, 64<<10), 0o600))
	_, err := bolt.Open(garbage)
	require.Error(t, err, "a file that is not bolt")

	future := filepath.Join(dir, "future")
	db, err := bbolt.Open(future, 0o600, nil)
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bbolt.Tx) error {
		m, err := tx.CreateBucket([]byte("meta"))
		if err != nil {
			return err
		}
		return m.Put([]byte("format"), []byte{0, 0, 0, 0, 0, 0, 0, 2})
	}))
	require.NoError(t, db.Close())
	_, err = bolt.Open(future)
	require.ErrorContains(t, err, "format 2")

	path := filepath.Join(dir, "store")
	s, err := bolt.Open(path)
	require.NoError(t, err)
	defer s.Close()
	_, err = bolt.Open(path, bolt.WithLockTimeout(50*time.Millisecond))
	require.ErrorIs(t, err, berrors.ErrTimeout, "a second Open of a file in use")
}
