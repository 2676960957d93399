package replica

import (
	"slices"
	"strings"
	"sync/atomic"
)

// memberSet is the set of direct member users of one group.
//
// It is kept for write speed: loading a million users adds millions of memberships, and an
// ordered tree per group would pay several cache misses per insert. So the set is an
// unordered slice with O(1) add and remove (each user entry records its position in every
// set it is in, see userEntry.pos), and the id order that pages need is a sorted copy built
// on the first read after a change (O(m log m)) and reused until the next change (O(log m)
// seek). A group that changes between every page of a long listing pays the sort per page.
type memberSet struct {
	users  []*userEntry
	sorted atomic.Pointer[[]*userEntry] // users by id; nil after a change
}

// byID returns the members sorted by id; the result must not be modified. It runs under the
// read lock: concurrent callers may sort the same set, which is harmless.
func (s *memberSet) byID() []*userEntry {
	if s == nil {
		return nil
	}
	if p := s.sorted.Load(); p != nil {
		return *p
	}
	v := slices.Clone(s.users)
	slices.SortFunc(v, cmpUser)
	s.sorted.Store(&v)
	return v
}

func (s *memberSet) changed() {
	if s.sorted.Load() != nil {
		s.sorted.Store(nil)
	}
}

// setGroups makes groups (sorted, deduplicated) the direct groups of u, updating the member
// sets it leaves and joins, and u.groups and u.pos. setGroups(u, nil) removes u from all.
func (d *directory) setGroups(u *userEntry, groups []string) {
	var pos []int32
	if len(groups) > 0 {
		pos = make([]int32, len(groups))
	}
	i := 0
	for j, g := range groups {
		for i < len(u.groups) && u.groups[i] < g {
			d.leave(u, i)
			i++
		}
		if i < len(u.groups) && u.groups[i] == g {
			pos[j] = u.pos[i]
			i++
			continue
		}
		pos[j] = d.join(u, g)
	}
	for ; i < len(u.groups); i++ {
		d.leave(u, i)
	}
	u.groups, u.pos = groups, pos
}

// join adds u to the members of group g and returns its position there.
func (d *directory) join(u *userEntry, g string) int32 {
	s := d.members[g]
	if s == nil {
		s = &memberSet{}
		d.members[g] = s
	}
	s.users = append(s.users, u)
	s.changed()
	return int32(len(s.users) - 1)
}

// leave removes u from the members of its i-th group, moving the set's last member into its
// place.
func (d *directory) leave(u *userEntry, i int) {
	g := u.groups[i]
	s := d.members[g]
	p, n := u.pos[i], len(s.users)-1
	last := s.users[n]
	s.users[p], s.users[n] = last, nil
	s.users = s.users[:n]
	if last != u {
		j, _ := slices.BinarySearch(last.groups, g)
		last.pos[j] = p
	}
	switch {
	case n == 0:
		delete(d.members, g)
	case n < cap(s.users)/4 && cap(s.users) > 64:
		s.users = slices.Clip(slices.Clone(s.users))
	}
	s.changed()
}

// cmpUser orders user entries by id.
func cmpUser(a, b *userEntry) int { return strings.Compare(a.id, b.id) }
