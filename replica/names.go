package replica

import (
	"slices"
	"strings"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// Group names are not unique in every provider, so the name index maps a name to every group
// bearing it, sorted by id.

func (d *directory) addName(g *groupEntry) {
	name := g.msg.GetName()
	if name == "" {
		return
	}
	list := d.byName[name]
	i, _ := slices.BinarySearchFunc(list, g.id, func(e *groupEntry, id string) int { return strings.Compare(e.id, id) })
	d.byName[name] = slices.Insert(list, i, g)
}

func (d *directory) removeName(g *groupEntry) {
	name := g.msg.GetName()
	list := slices.DeleteFunc(d.byName[name], func(e *groupEntry) bool { return e == g })
	if len(list) == 0 {
		delete(d.byName, name)
		return
	}
	d.byName[name] = list
}

// GroupsByName returns the directory's groups whose name is exactly name, sorted by id:
// none, one, or several when the name is ambiguous.
func (r *Replica) GroupsByName(directory, name string) []*dirsyncv1.Group {
	r.mu.RLock()
	defer r.mu.RUnlock()
	d := r.dirs[directory]
	if d == nil {
		return nil
	}
	list := d.byName[name]
	out := make([]*dirsyncv1.Group, len(list))
	for i, g := range list {
		out[i] = g.msg
	}
	return out
}
