package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store"
	"github.com/dirsync/dirsync/store/postgres"
)

// Several Stores on one database stand for several dirsyncd replicas.

func user(dir, id string) *dirsyncv1.Record {
	return &dirsyncv1.Record{Type: dirsyncv1.RecordType_RECORD_TYPE_USER, Directory: dir, Id: id,
		Data: &dirsyncv1.Record_User{User: &dirsyncv1.User{Id: id, Directory: dir, DisplayName: "user " + id}}}
}

// users returns n users of dir whose ids start with prefix.
func users(dir, prefix string, n int) []*dirsyncv1.Record {
	out := make([]*dirsyncv1.Record, n)
	for i := range out {
		out[i] = user(dir, fmt.Sprintf("%s-%03d", prefix, i))
	}
	return out
}

func requireClosedWithin(t *testing.T, ch <-chan struct{}, d time.Duration, msg string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(d):
		t.Fatal(msg)
	}
}

func TestReplicasWakeEachOther(t *testing.T) {
	dsn := newDatabase(t)
	// Polls too rare to matter: only notifications can wake these within the test.
	a := open(t, dsn, postgres.WithPollInterval(time.Minute))
	b := open(t, dsn, postgres.WithPollInterval(time.Minute))
	ctx := context.Background()
	for i, pair := range [][2]*postgres.Store{{a, b}, {b, a}, {a, b}} {
		writer, waiter := pair[0], pair[1]
		wake := waiter.Changed()
		select {
		case <-wake:
			t.Fatalf("round %d: Changed closed before the commit", i)
		default:
		}
		v, err := writer.Apply(ctx, store.Batch{Directory: "d", Records: users("d", fmt.Sprint("r", i), 2)})
		require.NoError(t, err)
		requireClosedWithin(t, wake, 5*time.Second, "the other replica's commit did not wake Changed")
		got, err := waiter.Versions(ctx)
		require.NoError(t, err)
		require.Equal(t, v, got)
	}
}

func TestReplicasShareLeases(t *testing.T) {
	dsn := newDatabase(t)
	a, b := open(t, dsn), open(t, dsn)
	ctx := context.Background()

	// Many contenders on both replicas at once: exactly one wins.
	var (
		mu      sync.Mutex
		winners []string
		wg      sync.WaitGroup
	)
	for i := range 16 {
		s := a
		if i%2 == 1 {
			s = b
		}
		holder := fmt.Sprint("holder-", i)
		wg.Go(func() {
			ok, err := s.AcquireLease(ctx, "dir/d", holder, time.Hour)
			require.NoError(t, err)
			if ok {
				mu.Lock()
				winners = append(winners, holder)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	require.Len(t, winners, 1)
	w := winners[0]
	for _, s := range []*postgres.Store{a, b} {
		require.NoError(t, s.RenewLease(ctx, "dir/d", w, time.Hour), "the winner renews on either replica")
		ok, err := s.AcquireLease(ctx, "dir/d", "other", time.Hour)
		require.NoError(t, err)
		require.False(t, ok)
	}

	// Expiry is seen alike by both.
	require.NoError(t, a.RenewLease(ctx, "dir/d", w, 50*time.Millisecond))
	require.Eventually(t, func() bool {
		ok, err := b.AcquireLease(ctx, "dir/d", "successor", time.Hour)
		require.NoError(t, err)
		return ok
	}, 5*time.Second, 10*time.Millisecond)
	require.ErrorIs(t, a.RenewLease(ctx, "dir/d", w, time.Hour), store.ErrLeaseLost)
	require.NoError(t, a.ReleaseLease(ctx, "dir/d", "successor"))
	ok, err := b.AcquireLease(ctx, "dir/d", w, time.Hour)
	require.NoError(t, err)
	require.True(t, ok, "released on one replica, free on the other")
}

// TestReplicasConcurrentApply has two replicas write at once while readers on a third tail
// the change log and check, at every step, that what they see has no gap.
func TestReplicasConcurrentApply(t *testing.T) {
	const perWriter, batches, size = 2, 15, 7
	dsn := newDatabase(t)
	writers := []*postgres.Store{open(t, dsn), open(t, dsn)}
	reader := open(t, dsn)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i, s := range writers {
		for w := range perWriter {
			dir := fmt.Sprintf("d%d-%d", i, w)
			wg.Go(func() {
				for b := range batches {
					if _, err := s.Apply(ctx, store.Batch{Directory: dir, Records: users(dir, fmt.Sprint("b", b), size)}); err != nil {
						errs <- err
						return
					}
				}
			})
		}
	}
	total := uint64(len(writers) * perWriter * batches * size)
	done := make(chan struct{})
	reads := 0
	var rg sync.WaitGroup
	rg.Go(func() { // tails the log to the end, woken by the writers' commits
		var tail uint64
		for tail < total {
			wake := reader.Changed()
			got, err := reader.Changes(ctx, tail, 5)
			if err != nil {
				errs <- err
				return
			}
			for i, c := range got {
				if c.Version != tail+uint64(i)+1 {
					errs <- fmt.Errorf("after %d the reader saw version %d: a gap", tail+uint64(i), c.Version)
					return
				}
			}
			if len(got) > 0 {
				tail = got[len(got)-1].Version
				reads++
				continue
			}
			select {
			case <-wake:
			case <-time.After(10 * time.Second):
				errs <- fmt.Errorf("at %d of %d, no commit woke the reader", tail, total)
				return
			}
		}
	})
	rg.Go(func() { // learns a version on one replica, then must see every change up to it on another
		for {
			select {
			case <-done:
				return
			default:
			}
			v, err := reader.Versions(ctx)
			if err == nil {
				var got []store.Record
				if got, err = writers[0].Changes(ctx, 0, 0); err == nil && uint64(len(got)) < v.Latest {
					err = fmt.Errorf("Versions said %d, then Changes returned %d", v.Latest, len(got))
				}
			}
			if err != nil {
				errs <- err
				return
			}
		}
	})
	wg.Wait()
	close(done)
	rg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Greater(t, reads, 1)

	all, err := reader.Changes(ctx, 0, 0)
	require.NoError(t, err)
	require.Len(t, all, int(total))
	for i := 0; i < len(all); i += size {
		for j, c := range all[i : i+size] {
			require.Equal(t, uint64(i+j+1), c.Version)
			require.Equal(t, all[i].Directory, c.Directory, "a batch is contiguous")
			require.Equal(t, fmt.Sprintf("%s-%03d", all[i].ID[:len(all[i].ID)-4], j), c.ID, "in batch order")
		}
	}
}
