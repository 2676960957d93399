package replica

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The hashed indexes must keep working when ids or addresses share a hash, which real
// 64-bit hashes almost never do: these tests force every key onto one hash.

func TestUserIndexCollisions(t *testing.T) {
	for _, tt := range []struct {
		name   string
		remove []string
	}{
		{"head", []string{"c"}},
		{"middle", []string{"b"}},
		{"tail", []string{"a"}},
		{"all, head first", []string{"c", "b", "a"}},
		{"all, tail first", []string{"a", "b", "c"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			x := userIndex{}
			entries := map[string]*userEntry{}
			for _, id := range []string{"a", "b", "c"} {
				entries[id] = &userEntry{id: id}
				x.add(1, entries[id])
			}
			for _, id := range tt.remove {
				x.remove(1, entries[id])
				delete(entries, id)
			}
			for _, id := range []string{"a", "b", "c"} {
				require.Same(t, entries[id], x.find(1, id), id)
			}
			require.Equal(t, len(entries) > 0, x[1] != nil)
		})
	}
}

func TestEmailIndexCollisions(t *testing.T) {
	a, b, c := &userEntry{id: "1", email: "a@x"}, &userEntry{id: "2", email: "b@x"}, &userEntry{id: "3", email: "c@x"}
	b0, c0 := &userEntry{id: "0", email: "b@x"}, &userEntry{id: "0", email: "c@x"}
	for _, tt := range []struct {
		name string
		edit func(x emailIndex)
		want []*userEntry // for a@x, b@x, c@x
	}{
		{"replace middle", func(x emailIndex) { x.replace(1, b, b0) }, []*userEntry{a, b0, c}},
		{"replace head", func(x emailIndex) { x.replace(1, c, c0) }, []*userEntry{a, b, c0}},
		{"replace by itself", func(x emailIndex) { x.replace(1, b, b) }, []*userEntry{a, b, c}},
		{"replace and back", func(x emailIndex) { x.replace(1, b, b0); x.replace(1, b0, b) }, []*userEntry{a, b, c}},
		{"remove head", func(x emailIndex) { x.remove(1, c) }, []*userEntry{a, b, nil}},
		{"remove middle", func(x emailIndex) { x.remove(1, b) }, []*userEntry{a, nil, c}},
		{"remove tail", func(x emailIndex) { x.remove(1, a) }, []*userEntry{nil, b, c}},
		{"remove all", func(x emailIndex) { x.remove(1, a); x.remove(1, c); x.remove(1, b) }, []*userEntry{nil, nil, nil}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, u := range []*userEntry{a, b, c, b0, c0} {
				u.nextEmail = nil
			}
			x := emailIndex{}
			for _, u := range []*userEntry{a, b, c} { // chained c → b → a
				x.add(1, u)
			}
			tt.edit(x)
			for i, email := range []string{"a@x", "b@x", "c@x"} {
				require.Same(t, tt.want[i], x.find(1, email), email)
			}
			_, ok := x[1]
			require.Equal(t, tt.want[0] != nil || tt.want[1] != nil || tt.want[2] != nil, ok)
		})
	}
}
