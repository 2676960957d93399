package replica

import "hash/maphash"

// userIndex maps the user ids of a directory to their entries.
//
// It is keyed by a 64-bit hash of the id rather than by the id: loading a snapshot of a
// million users grows the map many times over, and rehashing integer keys neither hashes
// nor reads the id strings again, while a string-keyed map re-reads every id (a cache miss
// each) at every growth. Entries whose ids share a hash, which is rare, are chained through
// userEntry.next, so ranging over the map visits the first entry of each chain only; the
// directory counts its users itself.
type userIndex map[uint64]*userEntry

// idSeed seeds the hashes of user ids.
var idSeed = maphash.MakeSeed()

// idHash returns the key of id in a userIndex.
func idHash(id string) uint64 { return maphash.String(idSeed, id) }

// get returns the entry of id, or nil.
func (x userIndex) get(id string) *userEntry {
	return x.find(idHash(id), id)
}

// find returns the entry of id, whose hash is h, or nil.
func (x userIndex) find(h uint64, id string) *userEntry {
	for u := x[h]; u != nil; u = u.next {
		if u.id == id {
			return u
		}
	}
	return nil
}

// add adds u, whose id hashes to h and is not in the index.
func (x userIndex) add(h uint64, u *userEntry) {
	u.next = x[h]
	x[h] = u
}

// remove removes u, which is in the index under h, the hash of its id.
func (x userIndex) remove(h uint64, u *userEntry) {
	if head := x[h]; head == u {
		if u.next == nil {
			delete(x, h)
		} else {
			x[h] = u.next
		}
	} else {
		prev := head
		for prev.next != u {
			prev = prev.next
		}
		prev.next = u.next
	}
	u.next = nil
}
