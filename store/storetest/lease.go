package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dirsync/dirsync/store"
)

// leaseTests cover leases with a TTL.
var leaseTests = []test{
	{"LeaseHolders", testLeaseHolders},
	{"LeaseExpires", testLeaseExpires},
	{"LeaseInvalidArguments", testLeaseInvalid},
}

func testLeaseHolders(t *testing.T, s store.Store) {
	ctx := context.Background()
	acquire := func(name, holder string) bool {
		t.Helper()
		ok, err := s.AcquireLease(ctx, name, holder, time.Hour)
		require.NoError(t, err)
		return ok
	}
	require.True(t, acquire("dir/d", "a"))
	require.False(t, acquire("dir/d", "b"))
	require.True(t, acquire("dir/d", "a"), "the holder acquires again")
	require.True(t, acquire("dir/e", "b"), "another name")

	require.NoError(t, s.RenewLease(ctx, "dir/d", "a", time.Hour))
	require.ErrorIs(t, s.RenewLease(ctx, "dir/d", "b", time.Hour), store.ErrLeaseLost)
	require.ErrorIs(t, s.RenewLease(ctx, "dir/none", "a", time.Hour), store.ErrLeaseLost)

	require.NoError(t, s.ReleaseLease(ctx, "dir/d", "b"), "releasing another's lease does nothing")
	require.False(t, acquire("dir/d", "b"))
	require.NoError(t, s.ReleaseLease(ctx, "dir/d", "a"))
	require.ErrorIs(t, s.RenewLease(ctx, "dir/d", "a", time.Hour), store.ErrLeaseLost)
	require.True(t, acquire("dir/d", "b"))
	require.False(t, acquire("dir/d", "a"))
	require.NoError(t, s.ReleaseLease(ctx, "dir/none", "a"))
}

func testLeaseExpires(t *testing.T, s store.Store) {
	ctx := context.Background()
	const short = 50 * time.Millisecond
	ok, err := s.AcquireLease(ctx, "l", "a", time.Hour)
	require.NoError(t, err)
	require.True(t, ok)
	// Renewal sets the end of the lease, here sooner than before.
	require.NoError(t, s.RenewLease(ctx, "l", "a", short))
	require.Eventually(t, func() bool {
		ok, err := s.AcquireLease(ctx, "l", "b", time.Hour)
		require.NoError(t, err)
		return ok
	}, 5*time.Second, 10*time.Millisecond, "the expired lease goes to another holder")
	require.ErrorIs(t, s.RenewLease(ctx, "l", "a", time.Hour), store.ErrLeaseLost)

	ok, err = s.AcquireLease(ctx, "m", "a", short)
	require.NoError(t, err)
	require.True(t, ok)
	time.Sleep(2 * short)
	require.ErrorIs(t, s.RenewLease(ctx, "m", "a", time.Hour), store.ErrLeaseLost, "an expired lease cannot be renewed")
	ok, err = s.AcquireLease(ctx, "m", "a", time.Hour)
	require.NoError(t, err)
	require.True(t, ok, "its former holder can acquire it again")
}

func testLeaseInvalid(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, holder string
		ttl          time.Duration
	}{
		{"", "a", time.Second},
		{"l", "", time.Second},
		{"l", "a", 0},
		{"l", "a", -time.Second},
	} {
		_, err := s.AcquireLease(ctx, tc.name, tc.holder, tc.ttl)
		require.ErrorIs(t, err, store.ErrInvalid, "%+v", tc)
		require.ErrorIs(t, s.RenewLease(ctx, tc.name, tc.holder, tc.ttl), store.ErrInvalid, "%+v", tc)
	}
}
