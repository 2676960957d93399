package syncer_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/builtin"
	"github.com/dirsync/dirsync/store/bolt"
	"github.com/dirsync/dirsync/syncer"
)

// benchDirectory is a generated company: groups 0–999 are departments (every tenth nested
// in another department), groups 1000+ are teams, each in one department; each user is in
// eight teams.
type benchDirectory struct {
	users, groups int
	userName      []string // display name by user
	userGroups    [][]int  // direct teams by user
	parent        []int    // parent group by group, -1 for none
	groupName     []string
}

func newBenchDirectory(users, groups int) *benchDirectory {
	d := &benchDirectory{users: users, groups: groups, userName: make([]string, users), userGroups: make([][]int, users),
		parent: make([]int, groups), groupName: make([]string, groups)}
	for g := range groups {
		d.groupName[g] = fmt.Sprintf("Group %d", g)
		switch {
		case g >= 1000:
			d.parent[g] = g % 1000
		case g%10 == 0 && g > 0:
			d.parent[g] = g / 10
		default:
			d.parent[g] = -1
		}
	}
	teams := groups - 1000
	for u := range users {
		d.userName[u] = fmt.Sprintf("User %d", u)
		gs := make([]int, 8)
		for i := range gs {
			gs[i] = 1000 + (u*7919+i*104729)%teams
		}
		d.userGroups[u] = gs
	}
	return d
}

// write writes the directory in the blob provider's JSON format.
func (d *benchDirectory) write(tb testing.TB, path string) {
	f, err := os.Create(path)
	require.NoError(tb, err)
	w := bufio.NewWriterSize(f, 1<<20)
	enc := json.NewEncoder(w)
	fmt.Fprint(w, `{"users":[`)
	for u := range d.users {
		if u > 0 {
			w.WriteByte(',')
		}
		ids := make([]string, len(d.userGroups[u]))
		for i, g := range d.userGroups[u] {
			ids[i] = fmt.Sprintf("g%d", g)
		}
		require.NoError(tb, enc.Encode(map[string]any{"id": fmt.Sprintf("u%d", u), "display_name": d.userName[u],
			"email": fmt.Sprintf("user%d@bench.example", u), "state": "USER_STATE_ACTIVE", "group_ids": ids}))
	}
	fmt.Fprint(w, `],"groups":[`)
	for g := range d.groups {
		if g > 0 {
			w.WriteByte(',')
		}
		m := map[string]any{"id": fmt.Sprintf("g%d", g), "name": d.groupName[g]}
		if p := d.parent[g]; p >= 0 {
			m["group_ids"] = []string{fmt.Sprintf("g%d", p)}
		}
		require.NoError(tb, enc.Encode(m))
	}
	fmt.Fprint(w, `]}`)
	require.NoError(tb, w.Flush())
	require.NoError(tb, f.Close())
}

// effective returns a user's effective groups (direct teams and all their ancestors).
func (d *benchDirectory) effective(u int) []int {
	var out []int
	for _, g := range d.userGroups[u] {
		for seen := 0; g >= 0 && seen < 10; seen++ {
			out = append(out, g)
			g = d.parent[g]
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// peakHeap samples the heap in use until stop is closed.
func peakHeap(stop <-chan struct{}) *atomic.Uint64 {
	var peak atomic.Uint64
	go func() {
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return &peak
}

// BenchmarkSync: a full sync of 1,000,000 users and 100,000 groups from a blob JSON file
// into bolt, then a sync with 1% of the users and groups changed. It reports both times, the
// peak heap, the records written by the second run (checked against the changed and
// affected records), and the ratio of the second sync's time to merely reading and decoding
// the same file with the provider.
func BenchmarkSync(b *testing.B) {
	const users, groups = 1_000_000, 100_000
	for b.Loop() {
		dir := b.TempDir()
		file := filepath.Join(dir, "directory.json")
		d := newBenchDirectory(users, groups)
		d.write(b, file)

		reg := builtin.Registry()
		typ, err := reg.Lookup("blob")
		require.NoError(b, err)
		var opts yaml.Node
		require.NoError(b, yaml.Unmarshal([]byte(fmt.Sprintf("{url: 'file://%s'}", file)), &opts))
		src, err := typ.New(opts.Content[0], providers.Deps{Directory: "bench"})
		require.NoError(b, err)
		st, err := bolt.Open(filepath.Join(dir, "bench.db"))
		require.NoError(b, err)
		sy := syncer.New(st, []syncer.Directory{{Name: "bench", Provider: "blob", Source: src,
			Polling: syncer.Polling{MinDelay: time.Hour, MaxDelay: time.Hour, Timeout: time.Hour, FullSyncInterval: 24 * time.Hour},
			Safety:  syncer.Safety{MaxDeleteFraction: 0.25}}}, syncer.Options{})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); sy.Run(ctx) }()

		runtime.GC()
		stop := make(chan struct{})
		peak := peakHeap(stop)
		start := time.Now()
		status, _, err := sy.Trigger(ctx, "bench", false)
		require.NoError(b, err)
		first := time.Since(start)
		close(stop)
		require.Equal(b, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, status.LastResult, status.LastError)
		require.EqualValues(b, users, status.Users)

		// 1% changed: rename 10,000 users and 1,000 groups; move 10 teams to another
		// department, which changes the effective groups of some of their members.
		changedUsers := map[int]bool{}
		for u := 0; u < users; u += 100 {
			d.userName[u] += " (renamed)"
			changedUsers[u] = true
		}
		moved := map[int]bool{}
		for g := 1000; g < groups; g += groups / 10 {
			moved[g] = true
		}
		before := map[int][]int{}
		for u := range users {
			for _, g := range d.userGroups[u] {
				if moved[g] {
					before[u] = d.effective(u)
				}
			}
		}
		for g := range moved {
			d.parent[g] = (d.parent[g] + 1) % 1000
		}
		for u, eff := range before {
			if !slices.Equal(eff, d.effective(u)) {
				changedUsers[u] = true
			}
		}
		changedGroups := maps.Clone(moved)
		for g := 0; g < groups; g += 100 {
			d.groupName[g] += " (renamed)"
			changedGroups[g] = true
		}
		wantWrites := len(changedUsers) + len(changedGroups)
		d.write(b, file)

		start = time.Now()
		status, _, err = sy.Trigger(ctx, "bench", false)
		require.NoError(b, err)
		second := time.Since(start)
		require.Equal(b, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, status.LastResult, status.LastError)
		require.EqualValues(b, wantWrites, status.LastChanges, "records written = changed + affected")

		start = time.Now()
		res, err := src.Sync(context.Background(), nil)
		require.NoError(b, err)
		decode := time.Since(start)
		require.Len(b, res.Users, users)

		cancel()
		<-done
		require.NoError(b, st.Close())
		b.ReportMetric(first.Seconds(), "first-sync-s")
		b.ReportMetric(float64(peak.Load())/(1<<20), "first-peak-heap-MiB")
		b.ReportMetric(second.Seconds(), "second-sync-s")
		b.ReportMetric(float64(status.LastChanges), "second-writes")
		b.ReportMetric(decode.Seconds(), "decode-s")
		b.ReportMetric(second.Seconds()/decode.Seconds(), "ratio")
	}
}
