package syncer

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/store/memory"
)

// generated returns a directory of n users and n/10 groups: 8 memberships per user, and
// about a third of the groups nested in an earlier one.
func generated(n int) ([]*dirsyncv1.User, []*dirsyncv1.Group) {
	r := rand.New(rand.NewPCG(1, 2))
	groups := make([]*dirsyncv1.Group, max(n/10, 1))
	for i := range groups {
		g := &dirsyncv1.Group{Id: fmt.Sprintf("g%06d", i), Name: fmt.Sprintf("Group %d", i)}
		if i > 0 && r.IntN(3) == 0 {
			g.GroupIds = []string{groups[r.IntN(i)].Id}
		}
		groups[i] = g
	}
	users := make([]*dirsyncv1.User, n)
	for i := range users {
		u := &dirsyncv1.User{Id: fmt.Sprintf("u%07d", i), DisplayName: fmt.Sprintf("User %d", i),
			Email: fmt.Sprintf("user%d@example.com", i), State: dirsyncv1.UserState_USER_STATE_ACTIVE}
		for range 8 {
			u.GroupIds = append(u.GroupIds, groups[r.IntN(len(groups))].Id)
		}
		users[i] = u
	}
	return users, groups
}

// benchLoop returns a directory loop over a fresh memory store, run directly (no lease).
func benchLoop(b *testing.B, fn syncFunc) *dirLoop {
	st := memory.New()
	b.Cleanup(func() { _ = st.Close() })
	return New(st, []Directory{testDir(newSource(fn))}, Options{}).dirs[dir]
}

func BenchmarkFullSync100k(b *testing.B) {
	users, groups := generated(100_000)
	for b.Loop() {
		b.StopTimer()
		d := benchLoop(b, full(users, groups, ""))
		b.StartTimer()
		out := d.runOnce(context.Background(), false)
		if out.status.LastResult != dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS {
			b.Fatal(out.status.LastError)
		}
	}
}

// BenchmarkResync1Percent100k alternates between the directory and a copy with 1% of the
// users renamed: each run writes exactly those users.
func BenchmarkResync1Percent100k(b *testing.B) {
	users, groups := generated(100_000)
	changed := clones(users)
	for i := 0; i < len(changed); i += 100 {
		changed[i].DisplayName += " (renamed)"
	}
	flip := false
	d := benchLoop(b, func(ctx context.Context, c []byte) (*providers.Result, error) {
		flip = !flip
		if flip {
			return full(changed, groups, "")(ctx, c)
		}
		return full(users, groups, "")(ctx, c)
	})
	flip = true // the first run loads the original
	d.runOnce(context.Background(), false)
	var written int64
	for b.Loop() {
		out := d.runOnce(context.Background(), false)
		if out.status.LastResult != dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS {
			b.Fatal(out.status.LastError)
		}
		written += out.status.LastChanges
	}
	b.ReportMetric(float64(written)/float64(b.N), "records/op")
}
