package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dirsync/dirsync/store"
)

// lifecycleTests cover cancelled contexts and Close.
var lifecycleTests = []test{
	{"CancelledContextWritesNothing", testCancelled},
	{"ClosedStoreReturnsErrClosed", testClosed},
}

func testCancelled(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.Apply(ctx, store.Batch{Directory: "d", Records: records(user("d", "u1", "")), Cursor: []byte("c"), SetCursor: true})
	require.ErrorIs(t, err, context.Canceled)
	require.Zero(t, versions(t, s).Latest)
	_, err = s.Cursor(context.Background(), "d")
	require.ErrorIs(t, err, store.ErrNotFound)

	apply(t, s, "d", user("d", "u1", ""))
	_, err = s.Snapshot(ctx, store.Filter{}, func(store.Record) error { return nil })
	require.ErrorIs(t, err, context.Canceled)
	_, err = s.Changes(ctx, 0, 0)
	require.ErrorIs(t, err, context.Canceled)
	_, err = s.AcquireLease(ctx, "l", "a", time.Hour)
	require.ErrorIs(t, err, context.Canceled)
}

func testClosed(t *testing.T, s store.Store) {
	ctx := context.Background()
	apply(t, s, "d", user("d", "u1", ""))
	wake := s.Changed()
	require.NoError(t, s.Close())
	select {
	case <-wake:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not close the Changed channel")
	}

	calls := map[string]func() error{
		"Versions": func() error { _, err := s.Versions(ctx); return err },
		"Apply": func() error {
			_, err := s.Apply(ctx, store.Batch{Directory: "d", Records: records(user("d", "u2", ""))})
			return err
		},
		"Snapshot": func() error {
			_, err := s.Snapshot(ctx, store.Filter{}, func(store.Record) error { return nil })
			return err
		},
		"Changes":      func() error { _, err := s.Changes(ctx, 0, 0); return err },
		"Get":          func() error { _, err := s.Get(ctx, userType, "d", "u1"); return err },
		"Cursor":       func() error { _, err := s.Cursor(ctx, "d"); return err },
		"Compact":      func() error { _, err := s.Compact(ctx, time.Now()); return err },
		"AcquireLease": func() error { _, err := s.AcquireLease(ctx, "l", "a", time.Hour); return err },
		"RenewLease":   func() error { return s.RenewLease(ctx, "l", "a", time.Hour) },
		"ReleaseLease": func() error { return s.ReleaseLease(ctx, "l", "a") },
		"PutStatus":    func() error { return s.PutStatus(ctx, "d", []byte("x")) },
		"Statuses":     func() error { _, err := s.Statuses(ctx); return err },
		"Close":        s.Close,
	}
	for name, call := range calls {
		require.ErrorIs(t, call(), store.ErrClosed, name)
	}
	select {
	case <-s.Changed():
	default:
		t.Fatal("Changed after Close is not closed")
	}
}
