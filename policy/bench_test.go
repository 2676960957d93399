package policy

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/replica"
)

// benchPolicy is a 5-criteria rule: nested membership, domain, email, and a deny list of a
// department and two user ids.
const benchPolicy = `
allow:
  and:
    - groups: {has: root-3}
    - domain: acme.example
    - email: {not: ceo@acme.example}
deny:
  or:
    - groups: {has: root-3-dept-5}
    - user: {in: [u0000001, u0000002]}
`

// benchDecision is benchPolicy written by hand against the replica: the baseline.
func benchDecision(r *replica.Replica, id string) bool {
	u, err := r.User("corp", id)
	if err != nil {
		return false
	}
	email := strings.ToLower(u.GetEmail())
	domain := email[strings.LastIndexByte(email, '@')+1:]
	if r.IsMember("corp", id, "root-3-dept-5") || id == "u0000001" || id == "u0000002" {
		return false
	}
	return r.IsMember("corp", id, "root-3") && domain == "acme.example" && email != "ceo@acme.example"
}

// benchReplica returns a replica of directory corp with 1,110 groups in a three-level tree
// (10 roots × 10 departments × 10 teams, named by their ids) and n users, each in 4 random
// teams and one other random group, nine in ten at acme.example; loaded in batches of
// 10,000 as a client loads a snapshot.
func benchReplica(b *testing.B, n int) (*replica.Replica, []string) {
	var groups []*dirsyncv1.Record
	var teams []string
	for a := range 10 {
		root := fmt.Sprintf("root-%d", a)
		groups = append(groups, groupRecord(root, root))
		for d := range 10 {
			dept := fmt.Sprintf("%s-dept-%d", root, d)
			groups = append(groups, groupRecord(dept, dept, root))
			for t := range 10 {
				team := fmt.Sprintf("%s-team-%d", dept, t)
				groups = append(groups, groupRecord(team, team, dept))
				teams = append(teams, team)
			}
		}
	}
	r := replica.New()
	r.Apply(groups, 0)
	rng := rand.New(rand.NewPCG(1, 2))
	ids := make([]string, n)
	batch := make([]*dirsyncv1.Record, 0, 10_000)
	for i := range n {
		ids[i] = fmt.Sprintf("u%07d", i)
		gs := []string{groups[rng.IntN(len(groups))].GetId()}
		for range 4 {
			gs = append(gs, teams[rng.IntN(len(teams))])
		}
		slices.Sort(gs)
		domain := "acme.example"
		if i%10 == 9 {
			domain = "partner.example"
		}
		batch = append(batch, userRecord(ids[i], fmt.Sprintf("user%d@%s", i, domain), active, slices.Compact(gs)...))
		if len(batch) == cap(batch) || i == n-1 {
			r.Apply(batch, uint64(i+1))
			batch = make([]*dirsyncv1.Record, 0, 10_000)
		}
	}
	return r, ids
}

// BenchmarkEvaluate evaluates benchPolicy for users of a replica of 1,000,000 users:
// Evaluate (every criterion, with outcomes) and Allowed (short-circuit decision), for random
// users (memory-bound: each lookup misses the caches) and for one user again and again (the
// CPU cost of evaluation alone). The
// baseline is the same decision written by hand against the replica (benchDecision), run
// in the same process; x-handwritten is the ratio of the times, allowed the fraction of
// users allowed, disagreements the decisions that differ from the baseline's (must be 0).
func BenchmarkEvaluate(b *testing.B) {
	start := time.Now()
	r, ids := benchReplica(b, 1_000_000)
	b.Logf("replica of %d users loaded in %v", len(ids), time.Since(start).Round(time.Millisecond))
	p := compile(b, r, benchPolicy)
	rng := rand.New(rand.NewPCG(3, 4))
	sample := make([]string, 1<<14)
	for i := range sample {
		sample[i] = ids[rng.IntN(len(ids))]
	}
	decide := map[string]func(id string) (bool, error){
		"Evaluate": func(id string) (bool, error) {
			res, err := p.Evaluate(r, id)
			return res.Allowed, err
		},
		"Allowed": func(id string) (bool, error) { return p.Allowed(r, id) },
	}
	hot := sample[:1] // an allowed user, so that every criterion is evaluated
	for i, id := range sample {
		if benchDecision(r, id) {
			hot = sample[i : i+1]
			break
		}
	}
	for _, bc := range []struct {
		name string
		ids  []string
	}{{"Evaluate/random-user", sample}, {"Allowed/random-user", sample},
		{"Evaluate/same-user", hot}, {"Allowed/same-user", hot}} {
		call := decide[strings.Split(bc.name, "/")[0]]
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			allowed, disagree, i := 0, 0, 0
			for _, id := range bc.ids { // warm the caches as the baseline will find them
				benchDecision(r, id)
			}
			for b.Loop() {
				ok, err := call(bc.ids[i%len(bc.ids)])
				if err != nil {
					b.Fatal(err)
				}
				if ok {
					allowed++
				}
				i++
			}
			base := baseline(b.N, func(i int) {
				if benchDecision(r, bc.ids[i%len(bc.ids)]) {
					allowed--
				}
			})
			for _, id := range bc.ids {
				if ok, _ := call(id); ok != benchDecision(r, id) {
					disagree++
				}
			}
			b.ReportMetric(perOp(b)/base, "x-handwritten")
			b.ReportMetric(float64(disagree), "disagreements")
			if allowed != 0 {
				b.Errorf("policy and baseline allowed different counts: %d", allowed)
			}
		})
	}
}

// baseline runs fn(0)…fn(n-1) and returns its mean time per call in ns.
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
