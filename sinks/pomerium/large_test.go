package pomerium

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/sinks/pomerium/pomeriumtest"
	"github.com/dirsync/dirsync/store"
	"github.com/dirsync/dirsync/store/memory"
)

// fillUsers writes n users of about 200 bytes each (Pomerium's directory-user size) to dir,
// straight into the store, and returns it.
func fillUsers(t testing.TB, n int) store.Store {
	st := memory.New()
	const batch = 10_000
	recs := make([]*dirsyncv1.Record, 0, batch)
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("00u%017d", i)
		recs = append(recs, user(dir, id, fmt.Sprintf("User Number %d", i), "grp-everyone", fmt.Sprintf("grp-team-%03d", i%500), "grp-engineering"))
		if len(recs) == batch || i == n-1 {
			_, err := st.Apply(context.Background(), store.Batch{Directory: dir, Records: recs})
			require.NoError(t, err)
			recs = recs[:0]
		}
	}
	return st
}

// TestLargeDirectory: a directory of 1,000,000 users reaches the databroker in Puts that
// each stay under 1 MiB. With -short or the race detector (as in CI) it uses 50,000 users,
// which still take some 150 Puts.
func TestLargeDirectory(t *testing.T) {
	n := 1_000_000
	if testing.Short() || raceEnabled {
		n = 50_000
	}
	st := fillUsers(t, n)
	t.Cleanup(func() { _ = st.Close() })
	key := newKey(t)
	f := pomeriumtest.Start(t, key)
	r := runSink(t, st, f, key, []string{dir}, nil)
	s := caughtUp(t, r, st)
	require.Equal(t, n, f.Count(TypeUser))
	puts, records, maxPut, _ := f.Stats()
	require.Equal(t, n, records, "each record pushed once")
	require.Less(t, maxPut, 1<<20)
	require.Greater(t, maxPut, 1<<20-4096, "requests are filled up to the limit")
	require.GreaterOrEqual(t, puts, n*150/(1<<20), "split into many requests")
	require.EqualValues(t, n, s.RecordsPushed)
}
