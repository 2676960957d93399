package replica

import "slices"

// indexEmail adds u to the email index. Shared addresses are rare, so only they pay for a
// list.
func (d *directory) indexEmail(u *userEntry) {
	if u.email == "" {
		return
	}
	h := idHash(u.email)
	first := d.byEmail.find(h, u.email)
	if first == nil {
		d.byEmail.add(h, u)
		return
	}
	list := d.sameEmail[u.email]
	if list == nil {
		list = []*userEntry{first}
	}
	i, _ := slices.BinarySearchFunc(list, u, cmpUser)
	list = slices.Insert(list, i, u)
	d.sameEmail[u.email] = list
	d.byEmail.replace(h, first, list[0])
}

// unindexEmail removes u from the email index.
func (d *directory) unindexEmail(u *userEntry) {
	if u.email == "" {
		return
	}
	h := idHash(u.email)
	list := d.sameEmail[u.email]
	if list == nil {
		if d.byEmail.find(h, u.email) == u {
			d.byEmail.remove(h, u)
		}
		return
	}
	first := list[0]
	if i, ok := slices.BinarySearchFunc(list, u, cmpUser); ok {
		list = slices.Delete(list, i, i+1)
	}
	d.byEmail.replace(h, first, list[0])
	if len(list) == 1 {
		delete(d.sameEmail, u.email)
	} else {
		d.sameEmail[u.email] = list
	}
}
