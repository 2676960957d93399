package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store"
	"github.com/dirsync/dirsync/store/memory"
)

// followerCall is one call a follower made to its consumer: a resync, or an apply of the
// changes with these versions up to next.
type followerCall struct {
	resync   bool
	versions []uint64
	next     uint64
}

// testFollower runs a follower of st's changes that match filter until the test ends. Its
// consumer reports every call on the returned channel; the i-th call returns fail(i) and a
// resync returns the version resync(i) (when fail(i) is nil). done is closed when run returns.
func testFollower(t *testing.T, ctx context.Context, st store.Store, ring int, filter store.Filter,
	resync func(i int) uint64, fail func(i int) error) (calls <-chan followerCall, done <-chan struct{}) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	bc := newBroadcaster(st, log, ring, mustVersions(t, st).Latest)
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	t.Cleanup(func() {
		cancel()
		all := make(chan struct{})
		go func() {
			wg.Wait()
			close(all)
		}()
		select {
		case <-all:
		case <-time.After(10 * time.Second):
			t.Error("the follower or the broadcaster did not stop")
		}
	})
	out := make(chan followerCall, 100)
	stopped := make(chan struct{})
	report := func(ctx context.Context, c followerCall) {
		select {
		case out <- c:
		case <-ctx.Done():
		}
	}
	i := 0
	f := follower{bc: bc, filter: filter, log: log, what: "test",
		resync: func(ctx context.Context) (uint64, error) {
			report(ctx, followerCall{resync: true})
			i++
			if err := fail(i - 1); err != nil {
				return 0, err
			}
			return resync(i - 1), nil
		},
		apply: func(ctx context.Context, changes []store.Record, next uint64) error {
			c := followerCall{next: next}
			for _, r := range changes {
				c.versions = append(c.versions, r.Version)
			}
			report(ctx, c)
			i++
			return fail(i - 1)
		},
	}
	wg.Go(func() { bc.run(ctx) })
	wg.Go(func() {
		defer close(stopped)
		f.run(ctx)
	})
	return out, stopped
}

// nextCall returns the follower's next call.
func nextCall(t *testing.T, calls <-chan followerCall) followerCall {
	t.Helper()
	select {
	case c := <-calls:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("the follower made no call")
		return followerCall{}
	}
}

// TestFollowerResumes: after a failed resync the follower resyncs again; after a failed apply
// it passes the same batch again, whole, and only then moves on; changes its filter drops
// still move its position.
func TestFollowerResumes(t *testing.T) {
	st := memory.New()
	v := apply(t, st, "a", testUser("a", "u1"))
	errFail := errors.New("injected failure")
	users := store.Filter{Types: []dirsyncv1.RecordType{dirsyncv1.RecordType_RECORD_TYPE_USER}}
	calls, _ := testFollower(t, context.Background(), st, 16, users,
		func(int) uint64 { return v.Latest },
		func(i int) error {
			if i == 0 || i == 2 { // the first resync and the first apply
				return errFail
			}
			return nil
		})

	require.Equal(t, followerCall{resync: true}, nextCall(t, calls))
	require.Equal(t, followerCall{resync: true}, nextCall(t, calls), "a failed resync is retried")
	apply(t, st, "a", testUser("a", "u2"), testUser("a", "u3")) // versions 2 and 3
	require.Equal(t, followerCall{versions: []uint64{2, 3}, next: 3}, nextCall(t, calls))
	require.Equal(t, followerCall{versions: []uint64{2, 3}, next: 3}, nextCall(t, calls), "a failed batch is passed again")
	apply(t, st, "a", testGroup("a", "g1"))
	require.Equal(t, followerCall{next: 4}, nextCall(t, calls), "a filtered-out change moves the position")
	apply(t, st, "a", deleted(testUser("a", "u1")))
	require.Equal(t, followerCall{versions: []uint64{5}, next: 5}, nextCall(t, calls))
}

// TestFollowerResyncsWhenCompacted: when the changes after its position have been compacted
// away, the follower resyncs and continues from the version resync returns.
func TestFollowerResyncsWhenCompacted(t *testing.T) {
	ctx := context.Background()
	st := memory.New()
	for _, id := range []string{"u1", "u2", "u3"} {
		apply(t, st, "a", testUser("a", id))
	}
	_, err := st.Compact(ctx, time.Now().Add(time.Hour)) // keeps the newest change only
	require.NoError(t, err)
	require.Equal(t, uint64(2), mustVersions(t, st).Earliest)

	// The first resync returns a position below the retained changes (a snapshot older than
	// the retention); a ring of 1 makes the follower read them from the store.
	calls, _ := testFollower(t, ctx, st, 1, store.Filter{},
		func(i int) uint64 { return []uint64{1, 3}[min(i, 1)] },
		func(int) error { return nil })
	require.Equal(t, followerCall{resync: true}, nextCall(t, calls))
	require.Equal(t, followerCall{resync: true}, nextCall(t, calls), "compacted away: resync")
	apply(t, st, "a", testUser("a", "u4"))
	require.Equal(t, followerCall{versions: []uint64{4}, next: 4}, nextCall(t, calls), "it follows from the resync's version")
}

// TestFollowerStops: the follower returns when its context ends, whatever it is doing.
func TestFollowerStops(t *testing.T) {
	errFail := errors.New("injected failure")
	for _, tc := range []struct {
		name string
		fail func(i int) error
	}{
		{"waiting for changes", func(int) error { return nil }},
		{"retrying a failed resync", func(int) error { return errFail }},
		{"retrying a failed apply", func(i int) error {
			if i > 0 {
				return errFail
			}
			return nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := memory.New()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			calls, done := testFollower(t, ctx, st, 16, store.Filter{}, func(int) uint64 { return 0 }, tc.fail)
			require.Equal(t, followerCall{resync: true}, nextCall(t, calls))
			apply(t, st, "a", testUser("a", "u1"))
			if tc.fail(0) == nil {
				require.Equal(t, followerCall{versions: []uint64{1}, next: 1}, nextCall(t, calls))
			}
			cancel()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("the follower did not stop")
			}
		})
	}
}
