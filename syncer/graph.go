package syncer

import (
	"slices"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// setEffective computes effective_group_ids for every user and group of s, with the same
// rules as the replica's membership graph: a group id without a group record is no node
// (it is dropped from effective lists, and no path runs through it, but direct group_ids
// keep it); a group is never its own ancestor, even on a cycle, where every other group of
// the cycle is. Results are sorted. s's direct group_ids must already be sorted and unique.
func setEffective(s state) {
	anc := ancestry{groups: s.groups, memo: make(map[string][]string, len(s.groups))}
	for id, g := range s.groups {
		g.EffectiveGroupIds = cloneOrNil(anc.of(id))
	}
	var buf []string
	for _, u := range s.users {
		buf = buf[:0]
		for _, id := range u.GroupIds {
			if s.groups[id] != nil {
				buf = append(buf, id)
				buf = append(buf, anc.of(id)...)
			}
		}
		slices.Sort(buf)
		u.EffectiveGroupIds = cloneOrNil(slices.Compact(buf))
	}
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
