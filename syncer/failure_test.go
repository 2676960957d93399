package syncer

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
)

func TestFailureWritesNothingAndRecovers(t *testing.T) {
	users, groups := fixture()
	tests := []struct {
		name    string
		fn      syncFunc
		wantErr string
	}{
		{"provider error", func(context.Context, []byte) (*providers.Result, error) {
			return nil, errors.New("idp unavailable")
		}, "read directory: idp unavailable"},
		{"timeout", func(ctx context.Context, _ []byte) (*providers.Result, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}, "sync attempt timed out after 100ms"},
		{"malformed result", func(context.Context, []byte) (*providers.Result, error) {
			return &providers.Result{Full: true, Users: []*dirsyncv1.User{{Id: "x"}, {Id: "x"}}}, nil
		}, `provider returned user "x" twice`},
		{"no result", func(context.Context, []byte) (*providers.Result, error) {
			return nil, nil
		}, "provider returned no result"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newStore(t)
			src := newSource(full(users, groups, "c1"))
			d := testDir(src)
			d.Polling.Timeout = 100 * time.Millisecond
			s := New(st, []Directory{d}, Options{})
			start(t, s)
			firstRun(t, s)
			v0 := latest(t, st)

			src.set(tt.fn)
			for i := 1; i <= 2; i++ {
				got, v := trigger(t, s, false)
				require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_FAILURE, got.LastResult)
				require.Equal(t, dirsyncv1.SyncState_SYNC_STATE_BACKING_OFF, got.State)
				require.Contains(t, got.LastError, tt.wantErr)
				require.EqualValues(t, i, got.ConsecutiveFailures)
				require.Equal(t, v0, v)
				require.Equal(t, v0, latest(t, st), "a failed run writes nothing")
				require.Equal(t, v0, got.RecordVersion)
				require.EqualValues(t, 10, got.Users+got.Groups)
				wait := got.NextRun.AsTime().Sub(got.LastEnd.AsTime())
				require.GreaterOrEqual(t, wait, 30*time.Minute, "backoff from MinDelay with jitter")
				require.LessOrEqual(t, wait, 2*time.Hour, "at most MaxDelay")
				require.NotNil(t, got.LastSuccess)
			}
			require.Equal(t, "c1", string(savedCursor(t, st).provider))

			more := append(clones(users), &dirsyncv1.User{Id: "u7"})
			src.set(full(more, groups, "c2"))
			got, v := trigger(t, s, false)
			require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, got.LastResult, got.LastError)
			require.Equal(t, dirsyncv1.SyncState_SYNC_STATE_IDLE, got.State)
			require.Empty(t, got.LastError)
			require.Zero(t, got.ConsecutiveFailures)
			require.Equal(t, v0+1, v)
		})
	}
}

func TestRetryTime(t *testing.T) {
	st := newStore(t)
	users, groups := fixture()
	src := newSource(full(users, groups, "c1"))
	s := New(st, []Directory{testDir(src)}, Options{})
	start(t, s)
	firstRun(t, s)

	// A retry time later than the backoff (and than MaxDelay) sets the wait.
	at := time.Now().Add(3 * time.Hour).Truncate(time.Millisecond)
	src.set(func(context.Context, []byte) (*providers.Result, error) {
		return nil, &providers.RetryError{At: at, Err: errors.New("rate limited")}
	})
	got, _ := trigger(t, s, false)
	require.Contains(t, got.LastError, "rate limited")
	require.WithinDuration(t, at, got.NextRun.AsTime(), time.Millisecond)

	// An earlier one does not shorten the backoff.
	src.set(func(context.Context, []byte) (*providers.Result, error) {
		return nil, &providers.RetryError{At: time.Now(), Err: errors.New("rate limited")}
	})
	got, _ = trigger(t, s, false)
	require.Greater(t, got.NextRun.AsTime().Sub(got.LastEnd.AsTime()), 30*time.Minute)
}

// TestSchedule checks that the loop runs by itself: retries after failures, with a retry
// time respected, and again MinDelay after a success.
func TestSchedule(t *testing.T) {
	st := newStore(t)
	users, groups := fixture()
	ok := full(users, groups, "c1")
	var (
		mu      sync.Mutex
		calls   []time.Time
		retryAt time.Time
	)
	src := newSource(func(ctx context.Context, cursor []byte) (*providers.Result, error) {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, time.Now())
		switch len(calls) {
		case 1, 2:
			return nil, errors.New("flaky")
		case 3:
			retryAt = time.Now().Add(150 * time.Millisecond)
			return nil, &providers.RetryError{At: retryAt, Err: errors.New("rate limited")}
		}
		return ok(ctx, cursor)
	})
	d := testDir(src)
	d.Polling = Polling{MinDelay: 10 * time.Millisecond, MaxDelay: 40 * time.Millisecond, Timeout: time.Second}
	s := New(st, []Directory{d}, Options{})
	start(t, s)
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(calls) >= 6
	}, 5*time.Second, time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	require.False(t, calls[3].Before(retryAt), "the retry time is respected")
	require.Less(t, calls[3].Sub(retryAt), 100*time.Millisecond)
	for i := 4; i < 6; i++ {
		require.GreaterOrEqual(t, calls[i].Sub(calls[i-1]), 10*time.Millisecond, "MinDelay after a success")
	}
}

func TestCursorExpired(t *testing.T) {
	st := newStore(t)
	users, groups := fixture()
	var n atomic.Int32
	src := newSource(func(ctx context.Context, cursor []byte) (*providers.Result, error) {
		if cursor != nil {
			return nil, providers.ErrCursorExpired
		}
		return full(users, groups, []string{"c1", "c2"}[n.Add(1)-1])(ctx, cursor)
	})
	s := New(st, []Directory{testDir(src)}, Options{})
	start(t, s)
	firstRun(t, s)
	got, _ := trigger(t, s, false)
	require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, got.LastResult, got.LastError)
	require.True(t, got.LastFull)
	require.Equal(t, []string{"", "c1", ""}, src.seen(), "dropped the cursor and ran a full sync at once")
	require.Equal(t, "c2", string(savedCursor(t, st).provider))
}

func TestFullSyncInterval(t *testing.T) {
	st := newStore(t)
	users, groups := fixture()
	snapshot := full(users, groups, "c1")
	src := newSource(func(ctx context.Context, cursor []byte) (*providers.Result, error) {
		if cursor == nil {
			return snapshot(ctx, cursor)
		}
		return &providers.Result{Cursor: cursor}, nil // an empty delta
	})
	d := testDir(src)
	d.Polling.FullSyncInterval = 24 * time.Hour
	s := New(st, []Directory{d}, Options{})
	var offset atomic.Int64
	s.now = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	start(t, s)
	firstRun(t, s)
	lastFull := savedCursor(t, st).lastFull
	require.False(t, lastFull.IsZero())

	got, _ := trigger(t, s, false)
	require.False(t, got.LastFull)
	offset.Store(int64(23 * time.Hour))
	trigger(t, s, false)
	offset.Store(int64(25 * time.Hour))
	got, _ = trigger(t, s, false)
	require.True(t, got.LastFull)
	require.True(t, savedCursor(t, st).lastFull.After(lastFull.Add(24*time.Hour)))
	trigger(t, s, false)
	require.Equal(t, []string{"", "c1", "c1", "", "c1"}, src.seen())
	require.EqualValues(t, 10, latest(t, st))
}

func TestRestartKeepsRecordsAndCursor(t *testing.T) {
	st := newStore(t)
	users, groups := fixture()
	s1 := New(st, []Directory{testDir(newSource(full(users, groups, "c1")))}, Options{})
	stop1 := start(t, s1)
	firstRun(t, s1)
	stop1()
	v0 := latest(t, st)

	release := make(chan struct{})
	src := newSource(func(ctx context.Context, cursor []byte) (*providers.Result, error) {
		<-release
		return &providers.Result{Cursor: []byte("c2")}, nil
	})
	s2 := New(st, []Directory{testDir(src)}, Options{})
	start(t, s2)
	require.Eventually(t, func() bool {
		return status(t, s2).State == dirsyncv1.SyncState_SYNC_STATE_RUNNING
	}, 5*time.Second, time.Millisecond)
	running := status(t, s2)
	require.EqualValues(t, 6, running.Users, "counts from the store before the first run")
	require.EqualValues(t, 4, running.Groups)
	close(release)

	got := firstRun(t, s2)
	require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, got.LastResult, got.LastError)
	require.Equal(t, []string{"c1"}, src.seen(), "the saved cursor is passed after a restart")
	require.Equal(t, v0, latest(t, st))
	require.Equal(t, "c2", string(savedCursor(t, st).provider))
}
