package replica

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// benchDirectory returns records of a directory shaped like a large IdP tenant: groups in a
// three-level tree (10 roots × 10 departments × 10 teams), users each in 4 random teams and
// 1 department.
func benchDirectory(users int) (groups, members []*dirsyncv1.Record, teams []string) {
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
	for i := range users {
		gs := []string{groups[rng.IntN(len(groups))].GetId()}
		for range 4 {
			gs = append(gs, teams[rng.IntN(len(teams))])
		}
		members = append(members, userRec(&dirsyncv1.User{
			Directory: "corp", Id: fmt.Sprintf("00u%08d", i), GroupIds: gs,
			DisplayName: fmt.Sprintf("User %d", i), Email: fmt.Sprintf("user%d@example.com", i),
			Username: fmt.Sprintf("user%d", i),
		}))
	}
	return groups, members, teams
}

// BenchmarkIsMember checks random (user, group) pairs against a directory of 100,000 users
// and 1,110 nested groups. The baseline is a flat map of precomputed effective groups per
// user, the fastest possible (and most memory-hungry) answer; x-flat-map is the ratio.
func BenchmarkIsMember(b *testing.B) {
	groups, members, _ := benchDirectory(100_000)
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
	base := testing.Benchmark(func(b *testing.B) {
		i := 0
		for b.Loop() {
			p := pairs[i%len(pairs)]
			_ = flat[p.user][p.group]
			i++
		}
	})

	hits, i := 0, 0
	for b.Loop() {
		p := pairs[i%len(pairs)]
		if r.IsMember("corp", p.user, p.group) {
			hits++
		}
		i++
	}
	b.ReportMetric(perOp(b)/float64(base.NsPerOp()), "x-flat-map")
	b.ReportMetric(float64(hits)/float64(b.N), "hit-rate")
}

// BenchmarkApply loads users in batches of 1,000 into a fresh replica that already holds the
// groups, and reports records/s. The baseline stores the same records in a plain map (no
// index at all); x-map is the ratio of the times.
func BenchmarkApply(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			groups, members, _ := benchDirectory(n)
			base := testing.Benchmark(func(b *testing.B) {
				for b.Loop() {
					m := map[string]*dirsyncv1.Record{}
					for _, rec := range members {
						m[rec.GetDirectory()+"\x00"+rec.GetId()] = rec
					}
				}
			})
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
			b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "records/s")
			b.ReportMetric(perOp(b)/float64(base.NsPerOp()), "x-map")
		})
	}
}

// perOp is the mean time of one iteration of b's loop, in ns.
func perOp(b *testing.B) float64 {
	return float64(b.Elapsed().Nanoseconds()) / float64(b.N)
}
