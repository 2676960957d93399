package replica

import (
	"strings"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store"
)

// User returns the user with that id in the directory, or store.ErrNotFound.
func (r *Replica) User(directory, id string) (*dirsyncv1.User, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if d := r.dirs[directory]; d != nil {
		if u := d.users.get(id); u != nil {
			return u.msg, nil
		}
	}
	return nil, store.ErrNotFound
}

// UserByEmail returns the user of the directory whose email equals email, ignoring case, or
// store.ErrNotFound. When several users share the address, it returns the one with the
// lowest id.
func (r *Replica) UserByEmail(directory, email string) (*dirsyncv1.User, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if d := r.dirs[directory]; d != nil && email != "" {
		if u := d.byEmail.get(strings.ToLower(email)); u != nil {
			return u.msg, nil
		}
	}
	return nil, store.ErrNotFound
}

// Group returns the group with that id in the directory, or store.ErrNotFound.
func (r *Replica) Group(directory, id string) (*dirsyncv1.Group, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if d := r.dirs[directory]; d != nil {
		if g := d.groups[id]; g != nil {
			return g.msg, nil
		}
	}
	return nil, store.ErrNotFound
}
