package replica

import "slices"

// indexEmail adds u to the email index. Shared addresses are rare, so only they pay for a
// list.
func (d *directory) indexEmail(u *userEntry) {
	if u.email == "" {
		return
	}
	first := d.byEmail[u.email]
	if first == nil {
		d.byEmail[u.email] = u
		return
	}
	list := d.sameEmail[u.email]
	if list == nil {
		list = []*userEntry{first}
	}
	i, _ := slices.BinarySearchFunc(list, u, cmpUser)
	list = slices.Insert(list, i, u)
	d.sameEmail[u.email], d.byEmail[u.email] = list, list[0]
}

// unindexEmail removes u from the email index.
func (d *directory) unindexEmail(u *userEntry) {
	list := d.sameEmail[u.email]
	if list == nil {
		if d.byEmail[u.email] == u {
			delete(d.byEmail, u.email)
		}
		return
	}
	if i, ok := slices.BinarySearchFunc(list, u, cmpUser); ok {
		list = slices.Delete(list, i, i+1)
	}
	d.byEmail[u.email] = list[0]
	if len(list) == 1 {
		delete(d.sameEmail, u.email)
	} else {
		d.sameEmail[u.email] = list
	}
}
