package replica

import "slices"

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
		d.children[id].ascend("", func(c *groupEntry) bool {
			if !seen[c.id] {
				seen[c.id] = true
				out = append(out, c)
				next = append(next, c.id)
			}
			return true
		})
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
//
// Cost and caching trade-off: with warm caches IsMember does not allocate; it checks the user's direct
// groups, then each direct group's cached ancestor set (one map lookup per direct group).
// Caching ancestors per group, rather than effective groups per user, keeps the cache at
// groups × nesting depth entries instead of users × effective groups (tens of millions for
// a million users), and lets any change to the group graph invalidate it at once (the
// directory's epoch rises) while each set is rebuilt lazily on its next use. The price is
// those few lookups per call instead of one.
func (r *Replica) IsMember(directory, userID, groupID string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	d := r.dirs[directory]
	if d == nil {
		return false
	}
	u, target := d.users.get(userID), d.groups[groupID]
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
