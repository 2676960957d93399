// Package storetest is the conformance suite of store.Store: every backend runs it from its
// own tests with a fresh store per subtest. It checks the contract written in package store,
// not any backend's internals, and must stay quick (well under ten seconds with -race).
package storetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dirsync/dirsync/store"
)

// test is one subtest over a fresh, empty store that the suite closes afterwards.
type test struct {
	name string
	fn   func(t *testing.T, s store.Store)
}

// tests lists the subtests every backend runs; each file of the suite adds its own.
func tests() []test {
	var all []test
	for _, group := range [][]test{recordTests, snapshotTests, concurrencyTests, retentionTests, cursorTests, leaseTests, statusTests, lifecycleTests} {
		all = append(all, group...)
	}
	return all
}

// Run runs the suite. open must return a new, empty store each time it is called; the suite
// closes it.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Helper()
	opened := func(t *testing.T) store.Store {
		s := open(t)
		require.NotNil(t, s)
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	for _, tc := range tests() {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, opened(t)) })
	}
	t.Run("ServerVersionDiffersBetweenStores", func(t *testing.T) {
		a, err := opened(t).Versions(context.Background())
		require.NoError(t, err)
		b, err := opened(t).Versions(context.Background())
		require.NoError(t, err)
		require.NotZero(t, a.ServerVersion)
		require.NotEqual(t, a.ServerVersion, b.ServerVersion)
	})
}

// RunPersistent runs Run and the reopen tests for a backend that keeps its data at a path.
// open must open the store at path, creating it empty when absent; the suite closes what it
// opens and gives every subtest its own directory.
func RunPersistent(t *testing.T, open func(t *testing.T, path string) store.Store) {
	t.Helper()
	fresh := func(t *testing.T) string { return filepath.Join(t.TempDir(), "sub", "store") }
	Run(t, func(t *testing.T) store.Store { return open(t, fresh(t)) })
	for _, tc := range reopenTests {
		t.Run(tc.name, func(t *testing.T) {
			path := fresh(t)
			tc.fn(t, func() store.Store {
				s := open(t, path)
				require.NotNil(t, s)
				t.Cleanup(func() { _ = s.Close() })
				return s
			})
		})
	}
}
