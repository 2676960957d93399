package syncer

import (
	"maps"
	"slices"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// setEffective computes effective_group_ids for every user and group of s, with the same
// rules as the replica's membership graph: a group id without a group record is no node
// (it is dropped from effective lists, and no path runs through it, but direct group_ids
// keep it); a group is never its own ancestor, even on a cycle, where every other group of
// the cycle is. Results are sorted. s's direct group_ids must already be sorted and unique;
// users are s's users.
func setEffective(s state, users []*dirsyncv1.User) {
	// Groups are numbered in id order, so sorting numbers sorts ids, and each group's
	// closure (itself and its ancestors) is a sorted list of numbers.
	ids := slices.Sorted(maps.Keys(s.groups))
	index := make(map[string]int32, len(ids))
	for i, id := range ids {
		index[id] = int32(i)
	}
	anc := ancestry{groups: s.groups, memo: make(map[string][]string, len(ids))}
	closure := make([][]int32, len(ids))
	for i, id := range ids {
		a := anc.of(id)
		s.groups[id].EffectiveGroupIds = cloneOrNil(a)
		c := append(make([]int32, 0, len(a)+1), int32(i))
		for _, p := range a {
			c = append(c, index[p])
		}
		slices.Sort(c)
		closure[i] = c
	}
	_ = parallel(len(users), func(lo, hi int) error {
		var buf []int32
		for _, u := range users[lo:hi] {
			buf = buf[:0]
			for _, id := range u.GroupIds {
				if i, ok := index[id]; ok {
					buf = append(buf, closure[i]...)
				}
			}
			if len(u.GroupIds) > 1 {
				slices.Sort(buf)
				buf = slices.Compact(buf)
			}
			u.EffectiveGroupIds = nil
			if len(buf) > 0 {
				u.EffectiveGroupIds = make([]string, len(buf))
				for j, i := range buf {
					u.EffectiveGroupIds[j] = ids[i]
				}
			}
		}
		return nil
	})
}

// ancestry memoizes the ancestors of groups.
type ancestry struct {
	groups map[string]*dirsyncv1.Group
	memo   map[string][]string // sorted; never modified
}

// of returns the sorted ids of the existing groups id is nested in, directly or
// transitively, without id itself. It walks parents with a visited set, so cycles end,
// and takes a parent's memoized ancestors whole instead of walking them again: since a
// parent's ancestors are everything reachable from it but itself, the union over parents
// of {parent} ∪ ancestors(parent), minus id, is exactly what is reachable from id.
func (a *ancestry) of(id string) []string {
	if r, ok := a.memo[id]; ok {
		return r
	}
	seen := map[string]bool{id: true}
	var out []string
	add := func(p string) bool {
		if seen[p] || a.groups[p] == nil {
			return false
		}
		seen[p] = true
		out = append(out, p)
		return true
	}
	stack := []string{id}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, p := range a.groups[n].GroupIds {
			if !add(p) {
				continue
			}
			if known, ok := a.memo[p]; ok {
				for _, q := range known {
					add(q) // already complete: no need to walk q
				}
				continue
			}
			stack = append(stack, p)
		}
	}
	slices.Sort(out)
	a.memo[id] = out
	return out
}

// cloneOrNil returns a copy of ids, nil when empty.
func cloneOrNil(ids []string) []string {
	if len(ids) == 0 {
		return nil
	}
	return slices.Clone(ids)
}
