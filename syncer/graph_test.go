package syncer

import (
	"testing"

	"github.com/stretchr/testify/require"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

func TestEffectiveGroups(t *testing.T) {
	tests := []struct {
		name   string
		groups map[string][]string // id → direct parents
		users  map[string][]string // id → direct groups
		want   map[string][]string // "g:<id>" or "u:<id>" → effective
	}{
		{"flat",
			map[string][]string{"a": nil, "b": nil},
			map[string][]string{"x": {"a"}, "y": nil},
			map[string][]string{"g:a": nil, "g:b": nil, "u:x": {"a"}, "u:y": nil}},
		{"chain",
			map[string][]string{"a": {"b"}, "b": {"c"}, "c": {"d"}, "d": nil},
			map[string][]string{"x": {"a"}, "y": {"c"}},
			map[string][]string{"g:a": {"b", "c", "d"}, "g:b": {"c", "d"}, "g:c": {"d"}, "g:d": nil,
				"u:x": {"a", "b", "c", "d"}, "u:y": {"c", "d"}}},
		{"diamond",
			map[string][]string{"top": nil, "l": {"top"}, "r": {"top"}, "bottom": {"l", "r"}},
			map[string][]string{"x": {"bottom", "l"}},
			map[string][]string{"g:bottom": {"l", "r", "top"}, "g:l": {"top"}, "g:r": {"top"}, "g:top": nil,
				"u:x": {"bottom", "l", "r", "top"}}},
		{"cycle: every other member is an ancestor, never the group itself",
			map[string][]string{"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}},
			map[string][]string{"x": {"b"}},
			map[string][]string{"g:a": {"b", "c"}, "g:b": {"a", "c"}, "g:c": {"a", "b"}, "g:d": {"a", "b", "c"},
				"u:x": {"a", "b", "c"}}},
		{"self loop",
			map[string][]string{"a": {"a"}},
			map[string][]string{"x": {"a"}},
			map[string][]string{"g:a": nil, "u:x": {"a"}}},
		{"unknown ids are dropped, and no path runs through them",
			map[string][]string{"a": {"ghost"}, "b": nil},
			map[string][]string{"x": {"ghost", "a"}, "y": {"ghost"}},
			map[string][]string{"g:a": nil, "g:b": nil, "u:x": {"a"}, "u:y": nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := state{users: map[string]*dirsyncv1.User{}, groups: map[string]*dirsyncv1.Group{}}
			for id, parents := range tt.groups {
				s.groups[id] = &dirsyncv1.Group{Id: id, GroupIds: parents}
			}
			for id, groups := range tt.users {
				s.users[id] = &dirsyncv1.User{Id: id, GroupIds: groups}
			}
			s.normalize(dir)
			got := map[string][]string{}
			for id, g := range s.groups {
				got["g:"+id] = g.EffectiveGroupIds
			}
			for id, u := range s.users {
				got["u:"+id] = u.EffectiveGroupIds
			}
			require.Equal(t, tt.want, got)
		})
	}
}

// TestEffectiveGroupsIndependentOfOrder checks that the memoized walk gives the same
// answer whatever group is computed first: each group alone, on a fresh memo, must match.
func TestEffectiveGroupsIndependentOfOrder(t *testing.T) {
	groups := map[string]*dirsyncv1.Group{}
	parents := map[string][]string{
		"a": {"b", "e"}, "b": {"c"}, "c": {"a", "d"}, "d": nil, "e": {"f"}, "f": {"e", "c"}, "g": {"a"},
	}
	for id, p := range parents {
		groups[id] = &dirsyncv1.Group{Id: id, GroupIds: p}
	}
	shared := ancestry{groups: groups, memo: map[string][]string{}}
	for _, id := range []string{"g", "f", "a", "e", "b", "d", "c"} {
		alone := ancestry{groups: groups, memo: map[string][]string{}}
		require.Equal(t, alone.of(id), shared.of(id), id)
	}
}
