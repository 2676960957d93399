package replica

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/stretchr/testify/require"
)

// model is a naive reference of the membership semantics: direct edges only, everything
// else computed by brute force on every question.
type model struct {
	users  map[string][]string // user → direct group ids as given
	groups map[string][]string // group → parent ids as given
}

func (m model) ancestors(g string) []string {
	seen := map[string]bool{g: true}
	var out []string
	for next := []string{g}; len(next) > 0; {
		n := next[0]
		next = next[1:]
		for _, p := range m.groups[n] {
			if _, ok := m.groups[p]; ok && !seen[p] {
				seen[p] = true
				out = append(out, p)
				next = append(next, p)
			}
		}
	}
	return out
}

func (m model) effective(u string) []string {
	var out []string
	for _, g := range m.users[u] {
		if _, ok := m.groups[g]; ok {
			out = append(append(out, g), m.ancestors(g)...)
		}
	}
	return sorted(out)
}

func (m model) direct(u string) []string {
	var out []string
	for _, g := range m.users[u] {
		if _, ok := m.groups[g]; ok {
			out = append(out, g)
		}
	}
	return sorted(out)
}

func (m model) members(g string, transitive bool) []string {
	var out []string
	for u, gs := range m.users {
		if slices.Contains(gs, g) || transitive && slices.Contains(m.effective(u), g) {
			out = append(out, u)
		}
	}
	return sorted(out)
}

func (m model) subgroups(g string, transitive bool) []string {
	var out []string
	for h, parents := range m.groups {
		if h != g && (slices.Contains(parents, g) || transitive && slices.Contains(m.ancestors(h), g)) {
			out = append(out, h)
		}
	}
	return sorted(out)
}

func sorted(ids []string) []string {
	slices.Sort(ids)
	return append([]string{}, slices.Compact(ids)...)
}

// TestAgainstModel applies random batches of upserts and tombstones (cycles, self-loops,
// dangling references and all) and compares every membership answer with the model.
func TestAgainstModel(t *testing.T) {
	for seed := range uint64(8) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 99))
			pick := func(prefix string, n, most int) []string {
				var out []string
				for range rng.IntN(most + 1) {
					out = append(out, fmt.Sprintf("%s%d", prefix, rng.IntN(n)))
				}
				return out
			}
			r, m := New(), model{users: map[string][]string{}, groups: map[string][]string{}}
			version := uint64(0)
			for range 60 {
				var batch []*dirsyncv1.Record
				for range 1 + rng.IntN(6) {
					u, g := fmt.Sprintf("u%d", rng.IntN(25)), fmt.Sprintf("g%d", rng.IntN(8))
					switch rng.IntN(5) {
					case 0, 1:
						gs := pick("g", 9, 4) // g8 never exists
						batch, m.users[u] = append(batch, member("corp", u, gs...)), gs
					case 2:
						batch = append(batch, tombstone(typeUser, "corp", u))
						delete(m.users, u)
					case 3:
						ps := pick("g", 9, 2)
						batch, m.groups[g] = append(batch, nested("corp", g, ps...)), ps
					case 4:
						batch = append(batch, tombstone(typeGroup, "corp", g))
						delete(m.groups, g)
					}
				}
				version += uint64(len(batch))
				r.Apply(batch, version)
				checkModel(t, r, m)
			}
		})
	}
}

func checkModel(t *testing.T, r *Replica, m model) {
	t.Helper()
	q := all("corp")
	for i := range 25 {
		u := fmt.Sprintf("u%d", i)
		_, exists := m.users[u]
		direct, err := r.UserGroups(q, u, false)
		if !exists {
			require.Error(t, err)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, m.direct(u), groupIDs(direct.Items), "direct groups of %s", u)
		effective, err := r.UserGroups(q, u, true)
		require.NoError(t, err)
		require.Equal(t, m.effective(u), groupIDs(effective.Items), "effective groups of %s", u)
		for j := range 9 {
			g := fmt.Sprintf("g%d", j)
			require.Equal(t, slices.Contains(m.effective(u), g), r.IsMember("corp", u, g), "IsMember(%s, %s)", u, g)
		}
	}
	for j := range 9 {
		g := fmt.Sprintf("g%d", j)
		_, exists := m.groups[g]
		for _, transitive := range []bool{false, true} {
			users, err := r.GroupUsers(q, g, transitive)
			groups, err2 := r.GroupSubgroups(q, g, transitive)
			if !exists {
				require.Error(t, err)
				require.Error(t, err2)
				continue
			}
			require.NoError(t, err)
			require.NoError(t, err2)
			require.Equal(t, m.members(g, transitive), userIDs(users.Items), "members of %s (transitive %v)", g, transitive)
			require.Equal(t, m.subgroups(g, transitive), groupIDs(groups.Items), "subgroups of %s (transitive %v)", g, transitive)
		}
	}
	checkPositions(t, r.dirs["corp"])
}

// checkPositions asserts the member sets and the users' recorded positions agree.
func checkPositions(t *testing.T, d *directory) {
	t.Helper()
	if d == nil {
		return
	}
	n := 0
	for _, u := range d.users {
		require.Len(t, u.pos, len(u.groups))
		for i, g := range u.groups {
			require.Same(t, u, d.members[g].users[u.pos[i]], "position of %s in %s", u.id, g)
		}
		n += len(u.groups)
	}
	for _, s := range d.members {
		n -= len(s.users)
		require.NotEmpty(t, s.users)
	}
	require.Zero(t, n, "member sets hold users that are not members")
}
