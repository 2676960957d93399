package replica

import "github.com/google/btree"

// entry is what the indexes hold: users and groups.
type entry interface {
	*userEntry | *groupEntry
	key() string
	searchKey() string
}

// idTree is a set of entries ordered by id: O(log n) insert, delete and seek. A nil
// *idTree is an empty set for reading.
type idTree[E entry] struct {
	t *btree.BTreeG[ref[E]]
}

// ref is an item of an idTree. It keeps the id beside the entry so that comparisons read
// the node's own memory instead of dereferencing every entry they pass.
type ref[E any] struct {
	pre uint64 // the id's first 8 bytes, big-endian, zero-padded: orders like the id
	id  string
	e   E
}

func lessRef[E any](a, b ref[E]) bool {
	if a.pre != b.pre {
		return a.pre < b.pre
	}
	return a.id < b.id
}

// prefix returns the first 8 bytes of id as a big-endian number, zero-padded. Ids compare
// like their prefixes unless the prefixes are equal.
func prefix(id string) uint64 {
	var p uint64
	for i := range 8 {
		p <<= 8
		if i < len(id) {
			p |= uint64(id[i])
		}
	}
	return p
}

// newIDTree returns an empty tree that takes its nodes from nodes (shared by the trees of
// one directory, so that thousands of small sets do not each keep a free list).
func newIDTree[E entry](degree int, nodes *btree.FreeListG[ref[E]]) *idTree[E] {
	return &idTree[E]{t: btree.NewWithFreeListG(degree, lessRef[E], nodes)}
}

func (t *idTree[E]) insert(e E) { t.t.ReplaceOrInsert(ref[E]{pre: prefix(e.key()), id: e.key(), e: e}) }

func (t *idTree[E]) remove(e E) { t.t.Delete(ref[E]{pre: prefix(e.key()), id: e.key()}) }

func (t *idTree[E]) len() int {
	if t == nil {
		return 0
	}
	return t.t.Len()
}

// ascend calls fn, in id order, for the entries with ids after `after` (all of them when
// after is ""), until fn returns false. It seeks to after in O(log n).
func (t *idTree[E]) ascend(after string, fn func(E) bool) {
	if t == nil {
		return
	}
	t.t.AscendGreaterOrEqual(ref[E]{pre: prefix(after), id: after}, func(r ref[E]) bool {
		return r.id == after || fn(r.e)
	})
}
