package replica

import (
	"slices"
	"sync/atomic"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/google/btree"
)

// Degrees of the B-trees: wide for the per-directory lists, narrower for the many small
// per-group child sets.
const (
	listDegree  = 32
	childDegree = 16
)

// userEntry is one live user. An entry keeps its identity while the user exists: an update
// rewrites its fields in place (under the write lock), so the sets holding it need no
// re-insertion.
type userEntry struct {
	id     string
	msg    *dirsyncv1.User
	search string     // see searchKey: id, display name, username, email
	email  string     // lowered email; "" when the user has none
	groups []string   // direct group ids: sorted, deduplicated
	pos    []int32    // pos[i]: u's index in members[groups[i]].users
	next   *userEntry // the next entry whose id has the same hash in directory.users
	// nextEmail is the next entry whose email has the same hash in directory.byEmail.
	nextEmail *userEntry
}

// groupEntry is one live group; like userEntry it is updated in place.
type groupEntry struct {
	id      string
	msg     *dirsyncv1.Group
	search  string   // see searchKey: id, name, email
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

func (u *userEntry) key() string                { return u.id }
func (u *userEntry) searchKey() string          { return u.search }
func (u *userEntry) message() *dirsyncv1.User   { return u.msg }
func (g *groupEntry) key() string               { return g.id }
func (g *groupEntry) searchKey() string         { return g.search }
func (g *groupEntry) message() *dirsyncv1.Group { return g.msg }

// directory holds the records of one directory and the indexes over them.
//
// Reverse indexes are keyed by group id whether or not that group has a record, because
// they are edges owned by the member's record: they must be in place when the group appears.
type directory struct {
	users     userIndex // by id
	userCount int       // users in users
	groups    map[string]*groupEntry
	userList  *idTree[*userEntry]
	groupList *idTree[*groupEntry]
	byEmail   emailIndex                      // lowered email → the user with the lowest id
	byName    map[string][]*groupEntry        // group name → the groups bearing it, sorted by id
	sameEmail map[string][]*userEntry         // lowered email shared by several users → them, by id
	members   map[string]*memberSet           // group id → its direct member users
	children  map[string]*idTree[*groupEntry] // group id → its direct child groups
	// groupNodes is the free list shared by the group trees of the directory.
	groupNodes *btree.FreeListG[ref[*groupEntry]]
	// epoch changes whenever the group graph changes (a group appears, disappears or
	// changes parents); it invalidates every cached ancestry.
	epoch uint64
}

func newDirectory() *directory {
	d := &directory{
		users:      userIndex{},
		groups:     map[string]*groupEntry{},
		byEmail:    emailIndex{},
		byName:     map[string][]*groupEntry{},
		sameEmail:  map[string][]*userEntry{},
		members:    map[string]*memberSet{},
		children:   map[string]*idTree[*groupEntry]{},
		groupNodes: btree.NewFreeListG[ref[*groupEntry]](btree.DefaultFreeListSize),
	}
	d.userList = newIDTree(listDegree, btree.NewFreeListG[ref[*userEntry]](btree.DefaultFreeListSize))
	d.groupList = newIDTree(listDegree, d.groupNodes)
	return d
}

// idSet returns ids sorted and deduplicated, without "" and skip. It returns ids itself when
// it already is such a set (the usual case: records carry sorted ids), else a new slice.
func idSet(ids []string, skip string) []string {
	clean := true
	for i, id := range ids {
		if id == "" || id == skip || i > 0 && ids[i-1] >= id {
			clean = false
			break
		}
	}
	if clean {
		return ids
	}
	out := slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return id == "" || id == skip })
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

func (d *directory) addChild(parentID string, g *groupEntry) {
	t := d.children[parentID]
	if t == nil {
		t = newIDTree(childDegree, d.groupNodes)
		d.children[parentID] = t
	}
	t.insert(g)
}

func (d *directory) removeChild(parentID string, g *groupEntry) {
	if t := d.children[parentID]; t != nil {
		t.remove(g)
		if t.len() == 0 {
			delete(d.children, parentID)
		}
	}
}
