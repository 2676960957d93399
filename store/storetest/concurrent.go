package storetest

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store"
)

// concurrencyTests cover the ordering guarantees under concurrent writers and readers.
var concurrencyTests = []test{
	{"CommitOrderIsVersionOrder", testCommitOrder},
	{"SnapshotConsistentDuringWrites", testSnapshotConsistent},
	{"ChangedWakesOnCommit", testChanged},
}

// race runs writers to completion while readers loop until the writers are done, and fails
// t with the first error any of them returns. Readers run at least once.
func race(t *testing.T, writers []func() error, readers []func() error) {
	t.Helper()
	errs := make(chan error, len(writers)+len(readers))
	done := make(chan struct{})
	var wg, rg sync.WaitGroup
	for _, w := range writers {
		wg.Go(func() { errs <- w() })
	}
	for _, r := range readers {
		rg.Go(func() {
			for {
				if err := r(); err != nil {
					errs <- err
					return
				}
				select {
				case <-done:
					errs <- nil
					return
				default:
				}
			}
		})
	}
	wg.Wait()
	close(done)
	rg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

// contiguous reports whether recs hold versions from+1, from+2, … in order.
func contiguous(from uint64, recs []store.Record) error {
	for i, r := range recs {
		if r.Version != from+uint64(i)+1 {
			return fmt.Errorf("change %d after %d has version %d: a gap", i, from, r.Version)
		}
	}
	return nil
}

func testCommitOrder(t *testing.T, s store.Store) {
	const writers, batches, size = 4, 20, 5
	ctx := context.Background()
	var ws []func() error
	for w := range writers {
		dir := fmt.Sprintf("d%d", w)
		ws = append(ws, func() error {
			for b := range batches {
				var recs []*dirsyncv1.Record
				for i := range size {
					recs = append(recs, user(dir, fmt.Sprintf("b%02d-r%d", b, i), ""))
				}
				if _, err := s.Apply(ctx, store.Batch{Directory: dir, Records: recs}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	// A reader that learns of version v, by any means, must then see every version up to v.
	viaVersions := func() error {
		v, err := s.Versions(ctx)
		if err != nil {
			return err
		}
		got, err := s.Changes(ctx, 0, 0)
		if err != nil {
			return err
		}
		if uint64(len(got)) < v.Latest {
			return fmt.Errorf("Versions said %d, Changes then returned %d changes", v.Latest, len(got))
		}
		return contiguous(0, got)
	}
	viaSnapshot := func() error {
		n := uint64(0)
		v, err := s.Snapshot(ctx, store.Filter{}, func(store.Record) error { n++; return nil })
		if err != nil {
			return err
		}
		if n != v.Latest { // every write is an insert of a new key
			return fmt.Errorf("snapshot at %d holds %d records", v.Latest, n)
		}
		if v.Latest == 0 {
			return nil // a limit of 0 would mean no limit
		}
		got, err := s.Changes(ctx, 0, int(v.Latest))
		if err != nil {
			return err
		}
		if uint64(len(got)) != v.Latest {
			return fmt.Errorf("snapshot at %d, then %d changes", v.Latest, len(got))
		}
		return contiguous(0, got)
	}
	var tail uint64
	tailing := func() error {
		wake := s.Changed()
		got, err := s.Changes(ctx, tail, 7)
		if err != nil {
			return err
		}
		if err := contiguous(tail, got); err != nil {
			return err
		}
		if len(got) > 0 {
			tail = got[len(got)-1].Version
			return nil
		}
		select {
		case <-wake:
		case <-time.After(10 * time.Millisecond):
		}
		return nil
	}
	race(t, ws, []func() error{viaVersions, viaSnapshot, tailing})

	all := changes(t, s, 0)
	require.Len(t, all, writers*batches*size)
	requireContiguous(t, 0, all)
	// Each batch holds contiguous versions, in batch order.
	for i := 0; i < len(all); i += size {
		for j := range size {
			c := all[i+j]
			require.Equal(t, all[i].Directory, c.Directory)
			require.Equal(t, all[i].ID[:3]+fmt.Sprintf("-r%d", j), c.ID)
		}
	}
}

func testSnapshotConsistent(t *testing.T, s store.Store) {
	const writers, batches, keys = 2, 30, 40
	ctx := context.Background()
	var ws []func() error
	for w := range writers {
		rng := rand.New(rand.NewPCG(uint64(w), 1))
		ws = append(ws, func() error {
			for b := range batches {
				var recs []*dirsyncv1.Record
				for n, k := range rng.Perm(keys)[:8] {
					id := fmt.Sprintf("k%02d", k)
					if n < 3 {
						recs = append(recs, del(userType, "d", id))
					} else {
						recs = append(recs, user("d", id, fmt.Sprintf("w%d-b%d", w, b)))
					}
				}
				if _, err := s.Apply(ctx, store.Batch{Directory: "d", Records: recs}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	type snap struct {
		v    store.Versions
		recs map[string]store.Record
	}
	var snaps []snap
	reader := func() error {
		recs := make(map[string]store.Record)
		v, err := s.Snapshot(ctx, store.Filter{}, func(r store.Record) error {
			r.Data = bytes.Clone(r.Data)
			recs[key(r)] = r
			return nil
		})
		snaps = append(snaps, snap{v, recs})
		return err
	}
	race(t, ws, []func() error{reader})

	all := changes(t, s, 0)
	requireContiguous(t, 0, all)
	for _, sn := range snaps {
		want := replay(all, sn.v.Latest)
		require.Len(t, sn.recs, len(want), "snapshot at %d", sn.v.Latest)
		for k, w := range want {
			got, ok := sn.recs[k]
			require.True(t, ok, "snapshot at %d lacks %s", sn.v.Latest, k)
			require.Equal(t, w.Version, got.Version, "%s in snapshot at %d", k, sn.v.Latest)
			require.Equal(t, w.Data, got.Data, "%s in snapshot at %d", k, sn.v.Latest)
		}
	}
}

func testChanged(t *testing.T, s store.Store) {
	ch := s.Changed()
	select {
	case <-ch:
		t.Fatal("Changed is closed before any commit")
	default:
	}
	woke := make(chan store.Versions)
	waiting := make(chan struct{})
	go func() {
		wake := s.Changed()
		close(waiting)
		<-wake
		v, _ := s.Versions(context.Background())
		woke <- v
	}()
	<-waiting
	v := apply(t, s, "d", user("d", "u1", ""))
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatal("Changed was not closed by a commit")
	}
	select {
	case got := <-woke:
		require.GreaterOrEqual(t, got.Latest, v.Latest)
	case <-time.After(5 * time.Second):
		t.Fatal("a waiter on Changed did not wake")
	}

	// The next channel waits for the next commit.
	next := s.Changed()
	apply(t, s, "d", user("d", "u2", ""))
	select {
	case <-next:
	case <-time.After(5 * time.Second):
		t.Fatal("Changed was not closed by the second commit")
	}
}
