package syncer

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/store"
)

func TestProgressWhileRunning(t *testing.T) {
	st := newStore(t)
	release := make(chan struct{})
	users, groups := fixture()
	ok := full(users, groups, "c1")
	src := newSource(func(ctx context.Context, cursor []byte) (*providers.Result, error) {
		p := providers.ProgressFrom(ctx)
		for range 3 {
			p.Request()
		}
		p.RateLimited(time.Second)
		p.Read(5, 2)
		<-release
		return ok(ctx, cursor) // one more request, 6 users, 4 groups
	})
	s := New(st, []Directory{testDir(src)}, Options{})
	start(t, s)
	require.Eventually(t, func() bool {
		p := status(t, s).Progress
		return p != nil && p.Requests == 3
	}, 5*time.Second, time.Millisecond)
	running := status(t, s)
	require.Equal(t, dirsyncv1.SyncState_SYNC_STATE_RUNNING, running.State)
	require.EqualValues(t, 5, running.Progress.UsersRead)
	require.EqualValues(t, 2, running.Progress.GroupsRead)
	require.EqualValues(t, 3, running.ProviderRequests)
	require.EqualValues(t, 1, running.RateLimitWaits)
	require.NotNil(t, running.LastStart)
	require.Nil(t, running.NextRun)
	close(release)

	done := firstRun(t, s)
	require.Nil(t, done.Progress)
	require.EqualValues(t, 4, done.ProviderRequests)
	require.EqualValues(t, 1, done.RateLimitWaits)
	require.NotNil(t, done.LastDuration)
	require.Equal(t, "fake", done.Provider)
}

func TestStatusAndErrors(t *testing.T) {
	st := newStore(t)
	users, groups := fixture()
	dirs := []Directory{
		{Name: "zeta", Provider: "fake", Source: newSource(full(users, groups, ""))},
		{Name: "alpha", Provider: "fake", Source: newSource(full(users, groups, ""))},
	}
	s := New(st, dirs, Options{})
	require.True(t, s.Configured("alpha"))
	require.False(t, s.Configured("beta"))

	all := s.Status()
	require.Len(t, all, 2)
	require.Equal(t, "alpha", all[0].Directory)
	require.Equal(t, "zeta", all[1].Directory)
	all[0].LastError = "changed by a caller"
	require.Empty(t, s.Status()[0].LastError, "Status returns copies")

	_, err := s.StatusOf("beta")
	require.ErrorIs(t, err, ErrUnknownDirectory)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, _, err = s.Trigger(context.Background(), "beta", false)
	require.ErrorIs(t, err, ErrUnknownDirectory)

	// Before Run, a trigger waits (here until its context ends).
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, _, err = s.Trigger(ctx, "alpha", false)
	require.ErrorIs(t, err, context.DeadlineExceeded)

	stop := start(t, s)
	got, v, err := s.Trigger(context.Background(), "alpha", false)
	require.NoError(t, err)
	require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, got.LastResult)
	require.NotZero(t, v)
	stop()
	_, _, err = s.Trigger(context.Background(), "alpha", false)
	require.ErrorIs(t, err, ErrNotLeader, "after Run has returned")
}

func TestEnvelope(t *testing.T) {
	at := time.Unix(1700000000, 123)
	for _, e := range []envelope{{}, {lastFull: at}, {provider: []byte("cursor")}, {lastFull: at, provider: []byte{0, 1}}} {
		got := decodeEnvelope(e.encode())
		require.True(t, e.lastFull.Equal(got.lastFull))
		require.Equal(t, e.provider, got.provider)
	}
	foreign := decodeEnvelope([]byte("etag-42"))
	require.True(t, foreign.lastFull.IsZero(), "bytes of another writer force a full sync")
	require.Equal(t, "etag-42", string(foreign.provider))
}
