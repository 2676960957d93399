package syncer

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/store"
)

func TestLeaseOneSyncerAtATime(t *testing.T) {
	st := newStore(t)
	users, groups := fixture()
	var inflight, most atomic.Int32
	source := func() *fakeSource {
		ok := full(users, groups, "c1")
		return newSource(func(ctx context.Context, cursor []byte) (*providers.Result, error) {
			n := inflight.Add(1)
			defer inflight.Add(-1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			time.Sleep(5 * time.Millisecond)
			return ok(ctx, cursor)
		})
	}
	srcA, srcB := source(), source()
	ttl := 150 * time.Millisecond
	a := New(st, []Directory{testDir(srcA)}, Options{Holder: "a", LeaseTTL: ttl})
	b := New(st, []Directory{testDir(srcB)}, Options{Holder: "b", LeaseTTL: ttl})
	stopA := start(t, a)
	firstRun(t, a)
	start(t, b)
	require.Eventually(t, func() bool {
		return b.dirs[dir].local().State == dirsyncv1.SyncState_SYNC_STATE_STANDBY
	}, 5*time.Second, time.Millisecond)

	_, _, err := b.Trigger(context.Background(), dir, false)
	require.ErrorIs(t, err, ErrNotLeader)
	for range 3 {
		got, _ := trigger(t, a, false)
		require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, got.LastResult)
	}
	time.Sleep(ttl) // renewals keep a's lease past its TTL
	require.Equal(t, dirsyncv1.SyncState_SYNC_STATE_STANDBY, b.dirs[dir].local().State)
	require.False(t, b.dirs[dir].leading.Load())
	require.Empty(t, srcB.seen())

	stopA() // releases the lease: b takes over within TTL/3
	require.Eventually(t, func() bool { return len(srcB.seen()) > 0 }, 5*time.Second, time.Millisecond)
	got := firstRun(t, b)
	require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, got.LastResult, got.LastError)
	require.Equal(t, []string{"c1"}, srcB.seen(), "b continues from a's cursor")
	require.EqualValues(t, 1, most.Load(), "never two runs at once")
}

// flakyLeases is a store whose lease calls fail on demand.
type flakyLeases struct {
	store.Store
	fail atomic.Pointer[error] // nil: pass through
}

func (f *flakyLeases) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	if e := f.fail.Load(); e != nil {
		if errors.Is(*e, store.ErrLeaseLost) {
			return false, nil // someone else has it
		}
		return false, *e
	}
	return f.Store.AcquireLease(ctx, name, holder, ttl)
}

func (f *flakyLeases) RenewLease(ctx context.Context, name, holder string, ttl time.Duration) error {
	if e := f.fail.Load(); e != nil {
		return *e
	}
	return f.Store.RenewLease(ctx, name, holder, ttl)
}

func TestLeaseLossStopsTheRun(t *testing.T) {
	tests := []struct {
		name string
		err  error
	}{
		{"renewal reports the lease lost", store.ErrLeaseLost},
		{"renewals fail until the lease would expire", errors.New("store unavailable")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := newStore(t)
			st := &flakyLeases{Store: mem}
			users, groups := fixture()
			ok := full(users, groups, "c1")
			started := make(chan struct{})
			var cancelledAt atomic.Pointer[time.Time]
			var calls atomic.Int32
			src := newSource(func(ctx context.Context, cursor []byte) (*providers.Result, error) {
				if calls.Add(1) == 1 {
					return ok(ctx, cursor)
				}
				close(started)
				<-ctx.Done()
				now := time.Now()
				cancelledAt.Store(&now)
				return nil, ctx.Err()
			})
			ttl := 300 * time.Millisecond
			a := New(st, []Directory{testDir(src)}, Options{Holder: "a", LeaseTTL: ttl})
			start(t, a)
			firstRun(t, a)
			v0 := latest(t, mem)

			errc := make(chan error, 1)
			go func() {
				_, _, err := a.Trigger(context.Background(), dir, false)
				errc <- err
			}()
			<-started
			st.fail.Store(&tt.err)

			// Another process, on the real store, can only start once a's run has stopped.
			var bStarted atomic.Pointer[time.Time]
			srcB := newSource(func(ctx context.Context, cursor []byte) (*providers.Result, error) {
				now := time.Now()
				bStarted.CompareAndSwap(nil, &now)
				return ok(ctx, cursor)
			})
			b := New(mem, []Directory{testDir(srcB)}, Options{Holder: "b", LeaseTTL: ttl})
			if !errors.Is(tt.err, store.ErrLeaseLost) {
				start(t, b)
			}

			select {
			case err := <-errc:
				require.ErrorIs(t, err, ErrNotLeader)
			case <-time.After(5 * time.Second):
				t.Fatal("the run did not stop")
			}
			require.NotNil(t, cancelledAt.Load())
			// Not asserted: that a is still a standby now. Its loop retries the lease every
			// TTL/3, and with the flaky store's renewals failing it may take it again at once.
			got := a.dirs[dir].local()
			require.Contains(t, got.LastError, "lease lost")
			require.Equal(t, v0, latest(t, mem), "the stopped run wrote nothing")

			if !errors.Is(tt.err, store.ErrLeaseLost) {
				require.Eventually(t, func() bool { return bStarted.Load() != nil }, 5*time.Second, time.Millisecond)
				require.True(t, bStarted.Load().After(*cancelledAt.Load()), "b started after a stopped")
			}
		})
	}
}
