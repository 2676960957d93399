package syncer

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
)

// TestStandbyReportsTheLeadersStatus: two syncers on one store; the one without the lease
// answers Status with what the holder reports, after its first run and after a trigger.
func TestStandbyReportsTheLeadersStatus(t *testing.T) {
	st := newStore(t)
	users, groups := fixture()
	ttl := 300 * time.Millisecond
	a := New(st, []Directory{testDir(newSource(full(users, groups, "c1")))}, Options{Holder: "a", LeaseTTL: ttl})
	b := New(st, []Directory{testDir(newSource(full(users, groups, "c1")))}, Options{Holder: "b", LeaseTTL: ttl})
	start(t, a)
	leader := firstRun(t, a)
	start(t, b)
	require.Eventually(t, func() bool {
		return b.dirs[dir].local().State == dirsyncv1.SyncState_SYNC_STATE_STANDBY
	}, 5*time.Second, time.Millisecond)

	same := func(want *dirsyncv1.DirectoryStatus) {
		t.Helper()
		require.Eventually(t, func() bool { // b re-reads the store at most once a second
			return proto.Equal(want, status(t, b)) && proto.Equal(want, b.Status()[0])
		}, 5*time.Second, 10*time.Millisecond, "standby status %v, leader %v", status(t, b), want)
	}
	same(leader)
	require.Equal(t, dirsyncv1.SyncState_SYNC_STATE_IDLE, status(t, b).State, "the leader's state")
	require.EqualValues(t, len(users), status(t, b).Users)

	got, _ := trigger(t, a, false)
	require.True(t, proto.Equal(got, status(t, a)))
	same(got)
	require.False(t, b.dirs[dir].leading.Load(), "b never took the lease")
}

// TestStatusAfterTakeover: the new holder runs and its status is what the old one reports.
func TestStatusAfterTakeover(t *testing.T) {
	st := newStore(t)
	users, groups := fixture()
	ttl := 150 * time.Millisecond
	a := New(st, []Directory{testDir(newSource(full(users, groups, "c1")))}, Options{Holder: "a", LeaseTTL: ttl})
	srcB := newSource(full(users, groups, "c1"))
	b := New(st, []Directory{testDir(srcB)}, Options{Holder: "b", LeaseTTL: ttl})
	stopA := start(t, a)
	first := firstRun(t, a)
	start(t, b)
	stopA()
	require.Eventually(t, func() bool { return len(srcB.seen()) > 0 }, 5*time.Second, time.Millisecond)
	got := firstRun(t, b)
	require.True(t, b.dirs[dir].leading.Load())
	require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, got.LastResult)
	require.True(t, got.LastStart.AsTime().After(first.LastEnd.AsTime()) || got.LastStart.AsTime().Equal(first.LastEnd.AsTime()))
	require.EqualValues(t, len(users), got.Users)
	require.Eventually(t, func() bool { return proto.Equal(got, status(t, a)) }, 5*time.Second, 10*time.Millisecond)
}

// TestStandbySeesProgress: while the holder's run goes on, the standby reports it RUNNING
// with its progress (saved once a second).
func TestStandbySeesProgress(t *testing.T) {
	st := newStore(t)
	users, groups := fixture()
	ok := full(users, groups, "c1")
	release := make(chan struct{})
	src := newSource(func(ctx context.Context, cursor []byte) (*providers.Result, error) {
		p := providers.ProgressFrom(ctx)
		p.Request()
		p.Read(5, 2)
		select {
		case <-release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return ok(ctx, cursor)
	})
	ttl := 3 * time.Second
	a := New(st, []Directory{testDir(src)}, Options{Holder: "a", LeaseTTL: ttl})
	b := New(st, []Directory{testDir(newSource(ok))}, Options{Holder: "b", LeaseTTL: ttl})
	start(t, a)
	require.Eventually(t, func() bool { return a.dirs[dir].leading.Load() }, 5*time.Second, time.Millisecond)
	start(t, b)
	require.Eventually(t, func() bool {
		got := status(t, b)
		return got.State == dirsyncv1.SyncState_SYNC_STATE_RUNNING && got.Progress != nil && got.Progress.UsersRead == 5
	}, 5*time.Second, 10*time.Millisecond)
	close(release)
	done := firstRun(t, a)
	require.Eventually(t, func() bool { return proto.Equal(done, status(t, b)) }, 5*time.Second, 10*time.Millisecond)
}
