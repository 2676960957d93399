package replica

import (
	"slices"
	"strings"
	"sync/atomic"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/google/btree"
)

// Degrees of the B-trees: wide for the per-directory lists, narrower for the many small
// per-group member sets.
const (
	listDegree   = 32
	memberDegree = 16
)

// userEntry is one live user. An entry keeps its identity while the user exists: an update
// rewrites its fields in place (under the write lock), so the member sets holding it need no
// re-insertion.
type userEntry struct {
	id     string
	msg    *dirsyncv1.User
	search string   // lowered id, display name, username and email joined by NUL
	email  string   // lowered email; "" when the user has none
	groups []string // direct group ids: sorted, deduplicated
}

// groupEntry is one live group; like userEntry it is updated in place.
type groupEntry struct {
	id      string
	msg     *dirsyncv1.Group
	search  string   // lowered id, name and email joined by NUL
	parents []string // direct parent group ids: sorted, deduplicated, never its own id
	// anc caches the group's ancestors; valid while its epoch equals directory.epoch.
	anc atomic.Pointer[ancestry]
}

// ancestry is the set of existing groups a group is nested in, directly or transitively,
// computed at one graph epoch.
type ancestry struct {
	epoch  uint64
	groups map[string]*groupEntry
}

func lessUser(a, b *userEntry) bool   { return a.id < b.id }
func lessGroup(a, b *groupEntry) bool { return a.id < b.id }

// directory holds the records of one directory and the indexes over them.
//
// Reverse indexes are keyed by group id whether or not that group has a record, because
// they are edges owned by the member's record: they must be in place when the group appears.
type directory struct {
	users      map[string]*userEntry
	groups     map[string]*groupEntry
	userList   *btree.BTreeG[*userEntry]
	groupList  *btree.BTreeG[*groupEntry]
	byEmail    map[string][]*userEntry               // lowered email → users, sorted by id
	members    map[string]*btree.BTreeG[*userEntry]  // group id → direct member users
	children   map[string]*btree.BTreeG[*groupEntry] // group id → direct child groups
	userNodes  *btree.FreeListG[*userEntry]          // shared by the member sets
	groupNodes *btree.FreeListG[*groupEntry]         // shared by the child sets
	// epoch changes whenever the group graph changes (a group appears, disappears or
	// changes parents); it invalidates every cached ancestry.
	epoch uint64
}

func newDirectory() *directory {
	return &directory{
		users:      map[string]*userEntry{},
		groups:     map[string]*groupEntry{},
		userList:   btree.NewG(listDegree, lessUser),
		groupList:  btree.NewG(listDegree, lessGroup),
		byEmail:    map[string][]*userEntry{},
		members:    map[string]*btree.BTreeG[*userEntry]{},
		children:   map[string]*btree.BTreeG[*groupEntry]{},
		userNodes:  btree.NewFreeListG[*userEntry](btree.DefaultFreeListSize),
		groupNodes: btree.NewFreeListG[*groupEntry](btree.DefaultFreeListSize),
	}
}

// searchKey lowers fields and joins them with NUL, so that one substring test covers them
// all while a query (which never contains NUL, see matches) cannot match across two fields.
func searchKey(fields ...string) string {
	return strings.ToLower(strings.Join(fields, "\x00"))
}

// matcher is a query text, lowered once per query.
type matcher struct {
	text string // lowered; "" matches everything
	none bool   // the text contains NUL: it matches nothing
}

func newMatcher(text string) matcher {
	return matcher{text: strings.ToLower(text), none: strings.Contains(text, "\x00")}
}

// match reports whether a search key contains the query text.
func (m matcher) match(key string) bool {
	return !m.none && (m.text == "" || strings.Contains(key, m.text))
}

// idSet returns ids sorted and deduplicated, without skip, in a new slice.
func idSet(ids []string, skip string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id != skip && id != "" {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// diffSorted calls removed for ids only in old and added for ids only in new; both sorted.
func diffSorted(old, new []string, removed, added func(string)) {
	i, j := 0, 0
	for i < len(old) || j < len(new) {
		switch {
		case j == len(new) || i < len(old) && old[i] < new[j]:
			removed(old[i])
			i++
		case i == len(old) || new[j] < old[i]:
			added(new[j])
			j++
		default:
			i++
			j++
		}
	}
}

func (d *directory) addMember(groupID string, u *userEntry) {
	t := d.members[groupID]
	if t == nil {
		t = btree.NewWithFreeListG(memberDegree, lessUser, d.userNodes)
		d.members[groupID] = t
	}
	t.ReplaceOrInsert(u)
}

func (d *directory) removeMember(groupID string, u *userEntry) {
	if t := d.members[groupID]; t != nil {
		t.Delete(u)
		if t.Len() == 0 {
			delete(d.members, groupID)
		}
	}
}

func (d *directory) addChild(parentID string, g *groupEntry) {
	t := d.children[parentID]
	if t == nil {
		t = btree.NewWithFreeListG(memberDegree, lessGroup, d.groupNodes)
		d.children[parentID] = t
	}
	t.ReplaceOrInsert(g)
}

func (d *directory) removeChild(parentID string, g *groupEntry) {
	if t := d.children[parentID]; t != nil {
		t.Delete(g)
		if t.Len() == 0 {
			delete(d.children, parentID)
		}
	}
}

func (d *directory) indexEmail(u *userEntry) {
	if u.email == "" {
		return
	}
	list := d.byEmail[u.email]
	i, _ := slices.BinarySearchFunc(list, u, cmpUser)
	d.byEmail[u.email] = slices.Insert(list, i, u)
}

func (d *directory) unindexEmail(u *userEntry) {
	if u.email == "" {
		return
	}
	list := d.byEmail[u.email]
	if i, ok := slices.BinarySearchFunc(list, u, cmpUser); ok {
		list = slices.Delete(list, i, i+1)
	}
	if len(list) == 0 {
		delete(d.byEmail, u.email)
	} else {
		d.byEmail[u.email] = list
	}
}

func cmpUser(a, b *userEntry) int   { return strings.Compare(a.id, b.id) }
func cmpGroup(a, b *groupEntry) int { return strings.Compare(a.id, b.id) }
