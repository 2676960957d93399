package replica

// emailIndex maps each lowered email address of a directory to the user with the lowest id
// bearing it. Like userIndex, and for the same reason, it is keyed by a 64-bit hash of the
// address (idHash); entries of addresses that share a hash are chained through
// userEntry.nextEmail.
type emailIndex map[uint64]*userEntry

// get returns the entry indexed under the lowered address email, or nil.
func (x emailIndex) get(email string) *userEntry {
	return x.find(idHash(email), email)
}

// find returns the entry indexed under email, whose hash is h, or nil.
func (x emailIndex) find(h uint64, email string) *userEntry {
	for u := x[h]; u != nil; u = u.nextEmail {
		if u.email == email {
			return u
		}
	}
	return nil
}

// add indexes u under u.email, which hashes to h and has no entry.
func (x emailIndex) add(h uint64, u *userEntry) {
	u.nextEmail = x[h]
	x[h] = u
}

// replace indexes by under old's address instead of old, which is indexed; both bear the
// address, which hashes to h.
func (x emailIndex) replace(h uint64, old, by *userEntry) {
	if old == by {
		return
	}
	by.nextEmail, old.nextEmail = old.nextEmail, nil
	if x[h] == old {
		x[h] = by
		return
	}
	prev := x[h]
	for prev.nextEmail != old {
		prev = prev.nextEmail
	}
	prev.nextEmail = by
}

// remove removes u, which is indexed, under its address, which hashes to h.
func (x emailIndex) remove(h uint64, u *userEntry) {
	if head := x[h]; head == u {
		if u.nextEmail == nil {
			delete(x, h)
		} else {
			x[h] = u.nextEmail
		}
	} else {
		prev := head
		for prev.nextEmail != u {
			prev = prev.nextEmail
		}
		prev.nextEmail = u.nextEmail
	}
	u.nextEmail = nil
}
