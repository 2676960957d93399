package replica

import (
	"strings"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// Apply applies records in order, then raises the applied version to version.
//
// An upsert replaces the user or group with the record's key (Record.directory and
// Record.id; when empty, those of the data); a tombstone (Record.deleted) removes it, and
// needs no data. Records of unknown types, and upserts without data of their type, are
// ignored. version must be at least every record's version and may be higher (a checkpoint
// with no records); the applied version never decreases except by Reset, so Apply(records, 0)
// applies records without moving it (as when loading a snapshot in several batches).
//
// Apply takes ownership of the records' messages: the caller must not modify them afterwards.
// Readers see the whole batch or none of it.
func (r *Replica) Apply(records []*dirsyncv1.Record, version uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rec := range records {
		r.applyRecord(rec)
	}
	if version > r.version.Load() {
		r.version.Store(version)
		close(r.changed)
		r.changed = make(chan struct{})
	}
}

func (r *Replica) applyRecord(rec *dirsyncv1.Record) {
	switch rec.GetType() {
	case dirsyncv1.RecordType_RECORD_TYPE_USER:
		u := rec.GetUser()
		dir, id := key(rec, u.GetDirectory(), u.GetId())
		if rec.GetDeleted() {
			if d := r.dirs[dir]; d != nil {
				d.deleteUser(id)
			}
		} else if u != nil {
			r.dir(dir).upsertUser(id, u)
		}
	case dirsyncv1.RecordType_RECORD_TYPE_GROUP:
		g := rec.GetGroup()
		dir, id := key(rec, g.GetDirectory(), g.GetId())
		if rec.GetDeleted() {
			if d := r.dirs[dir]; d != nil {
				d.deleteGroup(id)
			}
		} else if g != nil {
			r.dir(dir).upsertGroup(id, g)
		}
	}
}

// key returns the record's key, falling back to the data's fields where the record has none.
func key(rec *dirsyncv1.Record, dataDir, dataID string) (string, string) {
	dir, id := rec.GetDirectory(), rec.GetId()
	if dir == "" {
		dir = dataDir
	}
	if id == "" {
		id = dataID
	}
	return dir, id
}

// dir returns the named directory, creating it.
func (r *Replica) dir(name string) *directory {
	d := r.dirs[name]
	if d == nil {
		d = newDirectory()
		r.dirs[name] = d
	}
	return d
}

func (d *directory) upsertUser(id string, msg *dirsyncv1.User) {
	groups := idSet(msg.GetGroupIds(), "")
	email := strings.ToLower(msg.GetEmail())
	search := searchKey(id, msg.GetDisplayName(), msg.GetUsername(), msg.GetEmail())
	h := idHash(id)
	u := d.users.find(h, id)
	if u == nil {
		u = &userEntry{id: id, msg: msg, search: search, email: email}
		d.users.add(h, u)
		d.userCount++
		d.userList.insert(u)
		d.indexEmail(u)
		d.setGroups(u, groups)
		return
	}
	if u.email != email {
		d.unindexEmail(u)
		u.email = email
		d.indexEmail(u)
	}
	d.setGroups(u, groups)
	u.msg, u.search = msg, search
}

func (d *directory) deleteUser(id string) {
	h := idHash(id)
	u := d.users.find(h, id)
	if u == nil {
		return
	}
	d.users.remove(h, u)
	d.userCount--
	d.userList.remove(u)
	d.unindexEmail(u)
	d.setGroups(u, nil)
}

func (d *directory) upsertGroup(id string, msg *dirsyncv1.Group) {
	parents := idSet(msg.GetGroupIds(), id)
	search := searchKey(id, msg.GetName(), msg.GetEmail())
	g := d.groups[id]
	if g == nil {
		g = &groupEntry{id: id, msg: msg, search: search, parents: parents}
		d.groups[id] = g
		d.groupList.insert(g)
		d.addName(g)
		for _, p := range parents {
			d.addChild(p, g)
		}
		d.epoch++
		return
	}
	changed := false
	diffSorted(g.parents, parents,
		func(p string) { d.removeChild(p, g); changed = true },
		func(p string) { d.addChild(p, g); changed = true })
	if changed {
		d.epoch++
	}
	d.removeName(g)
	g.msg, g.search, g.parents = msg, search, parents
	d.addName(g)
}

// deleteGroup removes the group and its parent edges. Edges pointing at it (members and
// child groups) belong to their own records and stay, so the group regains them if it comes
// back; meanwhile every read skips it.
func (d *directory) deleteGroup(id string) {
	g := d.groups[id]
	if g == nil {
		return
	}
	delete(d.groups, id)
	d.groupList.remove(g)
	d.removeName(g)
	for _, p := range g.parents {
		d.removeChild(p, g)
	}
	d.epoch++
}
