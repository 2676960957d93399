package replica

import (
	"slices"
	"strings"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store"
)

// DefaultLimit is the page size used when Query.Limit is not positive.
const DefaultLimit = 100

// Query selects one page of a list. Items are sorted by id; After is the last id of the
// previous page ("" for the first page); Text, when not empty, keeps only items containing
// it, ignoring case, in their id, display name or name, username (users) or email; Limit is
// the page size (DefaultLimit when not positive).
type Query struct {
	Directory, Text, After string
	Limit                  int
}

// Page is one page of a list. More reports whether matching items exist after the last
// one; Version is the applied version the page was read at.
type Page[T any] struct {
	Items   []T
	More    bool
	Version uint64
}

func (q Query) limit() int {
	if q.Limit > 0 {
		return q.Limit
	}
	return DefaultLimit
}

// Users returns one page of the directory's users.
func (r *Replica) Users(q Query) Page[*dirsyncv1.User] {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var items []*userEntry
	if d := r.dirs[q.Directory]; d != nil {
		items = collect(d.userList, q, newMatcher(q.Text), nil)
	}
	return page(items, q, r.version.Load(), (*userEntry).message)
}

// Groups returns one page of the directory's groups.
func (r *Replica) Groups(q Query) Page[*dirsyncv1.Group] {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var items []*groupEntry
	if d := r.dirs[q.Directory]; d != nil {
		items = collect(d.groupList, q, newMatcher(q.Text), nil)
	}
	return page(items, q, r.version.Load(), (*groupEntry).message)
}

// GroupUsers returns one page of the users that are members of the group: directly, or
// when transitive also through the groups nested in it. It returns store.ErrNotFound when
// the group does not exist.
func (r *Replica) GroupUsers(q Query, groupID string, transitive bool) (Page[*dirsyncv1.User], error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	d, g := r.group(q.Directory, groupID)
	if g == nil {
		return Page[*dirsyncv1.User]{}, store.ErrNotFound
	}
	m := newMatcher(q.Text)
	items := collectSorted(d.members[groupID].byID(), q, m, nil)
	if transitive {
		// The first page of the union is among the first pages of its parts.
		for _, c := range d.descendants(g) {
			items = collectSorted(d.members[c.id].byID(), q, m, items)
		}
		items = sortUnique(items)
	}
	return page(items, q, r.version.Load(), (*userEntry).message), nil
}

// GroupSubgroups returns one page of the groups nested in the group: its direct children,
// or when transitive all its descendants. It returns store.ErrNotFound when the group does
// not exist.
func (r *Replica) GroupSubgroups(q Query, groupID string, transitive bool) (Page[*dirsyncv1.Group], error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	d, g := r.group(q.Directory, groupID)
	if g == nil {
		return Page[*dirsyncv1.Group]{}, store.ErrNotFound
	}
	m := newMatcher(q.Text)
	var items []*groupEntry
	if transitive {
		items = sortUnique(filter(d.descendants(g), q, m))
	} else {
		items = collect(d.children[groupID], q, m, nil)
	}
	return page(items, q, r.version.Load(), (*groupEntry).message), nil
}

// UserGroups returns one page of the groups the user is a member of: directly, or when
// effective also through nesting. It returns store.ErrNotFound when the user does not exist.
func (r *Replica) UserGroups(q Query, userID string, effective bool) (Page[*dirsyncv1.Group], error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	d := r.dirs[q.Directory]
	var u *userEntry
	if d != nil {
		u = d.users.get(userID)
	}
	if u == nil {
		return Page[*dirsyncv1.Group]{}, store.ErrNotFound
	}
	var groups []*groupEntry
	if effective {
		groups = d.effectiveGroups(u)
	} else {
		for _, id := range u.groups {
			if g := d.groups[id]; g != nil {
				groups = append(groups, g)
			}
		}
	}
	items := sortUnique(filter(groups, q, newMatcher(q.Text)))
	return page(items, q, r.version.Load(), (*groupEntry).message), nil
}

// group returns the directory and its live group with that id; either may be nil.
func (r *Replica) group(directory, id string) (*directory, *groupEntry) {
	d := r.dirs[directory]
	if d == nil {
		return nil, nil
	}
	return d, d.groups[id]
}

// collect appends to out the first limit+1 entries of t (which may be nil) with ids after
// q.After that match m, seeking to q.After in O(log n).
func collect[E entry](t *idTree[E], q Query, m matcher, out []E) []E {
	want := len(out) + q.limit() + 1
	t.ascend(q.After, func(e E) bool {
		if m.match(e.searchKey()) {
			out = append(out, e)
		}
		return len(out) < want
	})
	return out
}

// collectSorted is collect for entries sorted by id, seeking to q.After by binary search.
func collectSorted[E entry](sorted []E, q Query, m matcher, out []E) []E {
	i, _ := slices.BinarySearchFunc(sorted, q.After, func(e E, after string) int {
		return strings.Compare(e.key(), after)
	})
	want := len(out) + q.limit() + 1
	for _, e := range sorted[i:] {
		if len(out) == want {
			break
		}
		if e.key() != q.After && m.match(e.searchKey()) {
			out = append(out, e)
		}
	}
	return out
}

// filter keeps, in place, the entries with ids after q.After that match m.
func filter[E entry](items []E, q Query, m matcher) []E {
	return slices.DeleteFunc(items, func(e E) bool {
		return e.key() <= q.After || !m.match(e.searchKey())
	})
}

// sortUnique sorts entries by id, in place, and drops duplicates.
func sortUnique[E entry](items []E) []E {
	slices.SortFunc(items, func(a, b E) int { return strings.Compare(a.key(), b.key()) })
	return slices.CompactFunc(items, func(a, b E) bool { return a.key() == b.key() })
}

// page turns sorted, filtered entries into a page of at most q.limit() messages.
func page[E entry, T any](items []E, q Query, version uint64, message func(E) T) Page[T] {
	p := Page[T]{Version: version}
	if len(items) > q.limit() {
		items, p.More = items[:q.limit()], true
	}
	p.Items = make([]T, len(items))
	for i, e := range items {
		p.Items[i] = message(e)
	}
	return p
}
