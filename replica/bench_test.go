package replica

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// benchDirectory returns records of a directory shaped like a large IdP tenant: groups in a
// three-level tree (10 roots × 10 departments × 10 teams), users with random Okta-like ids,
// each in 4 random teams and 1 other group. Users come in id order, as SyncLatest streams a
// snapshot, or in random order; either way they are allocated in that order, as a decoded
// stream would be.
func benchDirectory(users int, random bool) (groups, members []*dirsyncv1.Record) {
	var teams []string
	for a := range 10 {
		root := fmt.Sprintf("root-%d", a)
		groups = append(groups, nested("corp", root))
		for b := range 10 {
			dept := fmt.Sprintf("%s-dept-%d", root, b)
			groups = append(groups, nested("corp", dept, root))
			for c := range 10 {
				team := fmt.Sprintf("%s-team-%d", dept, c)
				groups = append(groups, nested("corp", team, dept))
				teams = append(teams, team)
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	ids := make([]string, users)
	for i := range ids {
		ids[i] = fmt.Sprintf("00u%016x", rng.Uint64())
	}
	if !random {
		slices.Sort(ids)
	}
	for i, id := range ids {
		gs := []string{groups[rng.IntN(len(groups))].GetId()}
		for range 4 {
			gs = append(gs, teams[rng.IntN(len(teams))])
		}
		slices.Sort(gs)
		members = append(members, userRec(&dirsyncv1.User{
			Directory: "corp", Id: id, GroupIds: slices.Compact(gs),
			DisplayName: fmt.Sprintf("User %d", i), Email: fmt.Sprintf("user%d@example.com", i),
			Username: fmt.Sprintf("user%d", i),
		}))
	}
	return groups, members
}

// BenchmarkIsMember checks random (user, group) pairs against a directory of 100,000 users
// and 1,110 nested groups. The baseline is a flat map of precomputed effective groups per
// user, the fastest possible (and most memory-hungry) answer; x-flat-map is the ratio.
func BenchmarkIsMember(b *testing.B) {
	groups, members := benchDirectory(100_000, true)
	r := New()
	r.Apply(groups, 0)
	r.Apply(members, 1)
	type pair struct{ user, group string }
	rng := rand.New(rand.NewPCG(3, 4))
	pairs := make([]pair, 4096)
	flat := map[string]map[string]bool{}
	for i := range pairs {
		u := members[rng.IntN(len(members))].GetId()
		pairs[i] = pair{u, groups[rng.IntN(len(groups))].GetId()}
		if flat[u] == nil {
			p, _ := r.UserGroups(Query{Directory: "corp", Limit: 1000}, u, true)
			flat[u] = map[string]bool{}
			for _, g := range p.Items {
				flat[u][g.GetId()] = true
			}
		}
	}
	hits, i := 0, 0
	for b.Loop() {
		p := pairs[i%len(pairs)]
		if r.IsMember("corp", p.user, p.group) {
			hits++
		}
		i++
	}
	base := baseline(b.N, func(i int) {
		p := pairs[i%len(pairs)]
		if flat[p.user][p.group] {
			hits--
		}
	})
	b.ReportMetric(perOp(b)/base, "x-flat-map")
	b.ReportMetric(float64(hits), "disagreements") // must be 0
}

// BenchmarkApply loads users in batches of 1,000 into a fresh replica that already holds the
// groups, and reports records/s: in id order, as SyncLatest streams a snapshot, and (for
// the smaller size) in random order, as a worst case for the ordered indexes. The baseline
// stores the same records in a plain map (no index at all); x-map is the ratio of the times.
func BenchmarkApply(b *testing.B) {
	for _, bc := range []struct {
		users  int
		random bool
	}{{100_000, false}, {100_000, true}, {1_000_000, false}} {
		order := "id"
		if bc.random {
			order = "random"
		}
		b.Run(fmt.Sprintf("users=%d/order=%s", bc.users, order), func(b *testing.B) {
			groups, members := benchDirectory(bc.users, bc.random)
			var elapsed time.Duration
			for b.Loop() {
				b.StopTimer()
				r := New()
				r.Apply(groups, 0)
				b.StartTimer()
				start := time.Now()
				for i := 0; i < len(members); i += 1000 {
					r.Apply(members[i:min(i+1000, len(members))], uint64(i))
				}
				elapsed += time.Since(start)
			}
			b.ReportMetric(float64(bc.users*b.N)/elapsed.Seconds(), "records/s")
			base := baseline(b.N, func(int) {
				m := map[string]*dirsyncv1.Record{}
				for _, rec := range members {
					m[rec.GetDirectory()+"\x00"+rec.GetId()] = rec
				}
			})
			b.ReportMetric(perOp(b)/base, "x-map")
		})
	}
}

// baseline runs fn(0)…fn(n-1) and returns its mean time per call in ns. (testing.Benchmark
// cannot be nested in a benchmark: it would wait for the running benchmark's lock.)
func baseline(n int, fn func(i int)) float64 {
	start := time.Now()
	for i := range n {
		fn(i)
	}
	return float64(time.Since(start).Nanoseconds()) / float64(n)
}

// perOp is the mean time of one iteration of b's loop, in ns.
func perOp(b *testing.B) float64 {
	return float64(b.Elapsed().Nanoseconds()) / float64(b.N)
}
