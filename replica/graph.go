package replica

import "slices"

// Membership graph.
//
// Edges come only from records: a user's group_ids and a group's group_ids (its parents).
// A group id without a live group record is not a node: it is skipped in results and has no
// parents (those would come from its record), so no path runs through it. Walks keep a
// visited set, so cycles terminate; every group on a cycle is an ancestor (and a descendant)
// of the others, never of itself.
//
// Caching trade-off: IsMember is answered from the user's direct groups plus a cached
// ancestor set per group, not from a cached effective-group set per user. Per-group caches
// cost memory proportional to groups × depth (small) instead of users × effective groups
// (for 1M users easily tens of millions of entries), and a change to the group graph
// invalidates them all at once by bumping the directory's epoch, which stays cheap because
// each set is rebuilt lazily on its next use. The price is a check of each direct group per
// IsMember call (one map lookup each) instead of a single lookup.

// ancestors returns the existing groups g is nested in, directly or transitively, excluding
// g. The result is cached until the group graph changes and must not be modified. It runs
// under the read lock: concurrent callers may compute the same set, which is harmless, and
// a writer cannot change the epoch meanwhile.
func (d *directory) ancestors(g *groupEntry) map[string]*groupEntry {
	if a := g.anc.Load(); a != nil && a.epoch == d.epoch {
		return a.groups
	}
	var set map[string]*groupEntry
	stack := []*groupEntry{g}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, id := range n.parents {
			if _, seen := set[id]; seen || id == g.id {
				continue
			}
			if p := d.groups[id]; p != nil {
				if set == nil {
					set = map[string]*groupEntry{}
				}
				set[id] = p
				stack = append(stack, p)
			}
		}
	}
	g.anc.Store(&ancestry{epoch: d.epoch, groups: set})
	return set
}

// descendants returns the groups nested in g, directly or transitively, excluding g, in no
// particular order.
func (d *directory) descendants(g *groupEntry) []*groupEntry {
	var out []*groupEntry
	seen := map[string]bool{g.id: true}
	for next := []string{g.id}; len(next) > 0; {
		id := next[len(next)-1]
		next = next[:len(next)-1]
		if t := d.children[id]; t != nil {
			t.Ascend(func(c *groupEntry) bool {
				if !seen[c.id] {
					seen[c.id] = true
					out = append(out, c)
					next = append(next, c.id)
				}
				return true
			})
		}
	}
	return out
}

// effectiveGroups returns the existing groups u is a member of, directly or through
// nesting, in no particular order.
func (d *directory) effectiveGroups(u *userEntry) []*groupEntry {
	set := map[string]*groupEntry{}
	for _, id := range u.groups {
		if g := d.groups[id]; g != nil {
			set[id] = g
			for aid, a := range d.ancestors(g) {
				set[aid] = a
			}
		}
	}
	out := make([]*groupEntry, 0, len(set))
	for _, g := range set {
		out = append(out, g)
	}
	return out
}

// IsMember reports whether the directory's user is a member of the group, directly or
// through nested groups. It is false when the user or the group does not exist.
func (r *Replica) IsMember(directory, userID, groupID string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	d := r.dirs[directory]
	if d == nil {
		return false
	}
	u, target := d.users[userID], d.groups[groupID]
	if u == nil || target == nil {
		return false
	}
	if _, ok := slices.BinarySearch(u.groups, groupID); ok {
		return true
	}
	for _, id := range u.groups {
		if g := d.groups[id]; g != nil {
			if _, ok := d.ancestors(g)[groupID]; ok {
				return true
			}
		}
	}
	return false
}
