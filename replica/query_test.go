package replica

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/stretchr/testify/require"
)

func searchFixture() *Replica {
	r := New()
	r.Apply([]*dirsyncv1.Record{
		userRec(&dirsyncv1.User{Directory: "corp", Id: "00u1", DisplayName: "Ada Lovelace", Username: "ada", Email: "ada@Example.com"}),
		userRec(&dirsyncv1.User{Directory: "corp", Id: "00u2", DisplayName: "Grace Hopper", Username: "ghopper", Email: "grace@navy.mil"}),
		userRec(&dirsyncv1.User{Directory: "corp", Id: "00u3", DisplayName: "ÉMILE Borel", Username: "eborel", Email: "emile@example.fr"}),
		userRec(&dirsyncv1.User{Directory: "corp", Id: "XYZ", DisplayName: "Service", GivenName: "Ada"}),
		userRec(&dirsyncv1.User{Directory: "lab", Id: "00u9", DisplayName: "Ada Lab"}),
		groupRec(&dirsyncv1.Group{Directory: "corp", Id: "g-eng", Name: "Engineering", Email: "eng@example.com", Description: "ada"}),
		groupRec(&dirsyncv1.Group{Directory: "corp", Id: "g-ops", Name: "Operations"}),
	}, 7)
	return r
}

func TestSearch(t *testing.T) {
	r := searchFixture()
	tests := []struct {
		name, dir, text string
		users, groups   []string
	}{
		{name: "empty matches all", dir: "corp", text: "", users: []string{"00u1", "00u2", "00u3", "XYZ"}, groups: []string{"g-eng", "g-ops"}},
		{name: "display name any case", dir: "corp", text: "hOPPER", users: []string{"00u2"}, groups: []string{}},
		{name: "username", dir: "corp", text: "eborel", users: []string{"00u3"}, groups: []string{}},
		{name: "email domain", dir: "corp", text: "EXAMPLE", users: []string{"00u1", "00u3"}, groups: []string{"g-eng"}},
		{name: "id", dir: "corp", text: "xy", users: []string{"XYZ"}, groups: []string{}},
		{name: "group name", dir: "corp", text: "engineer", users: []string{}, groups: []string{"g-eng"}},
		{name: "unicode lower", dir: "corp", text: "émile", users: []string{"00u3"}, groups: []string{}},
		{name: "given name and description are not searched", dir: "corp", text: "ada", users: []string{"00u1"}, groups: []string{}},
		{name: "id prefix shared", dir: "corp", text: "00U", users: []string{"00u1", "00u2", "00u3"}, groups: []string{}},
		{name: "no match across fields", dir: "corp", text: "lovelaceada", users: []string{}, groups: []string{}},
		{name: "NUL matches nothing", dir: "corp", text: "\x00", users: []string{}, groups: []string{}},
		{name: "other directory", dir: "lab", text: "ada", users: []string{"00u9"}, groups: []string{}},
		{name: "unknown directory", dir: "none", text: "", users: []string{}, groups: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := Query{Directory: tt.dir, Text: tt.text, Limit: 10}
			users := r.Users(q)
			require.Equal(t, tt.users, userIDs(users.Items))
			require.False(t, users.More)
			require.Equal(t, uint64(7), users.Version)
			groups := r.Groups(q)
			require.Equal(t, tt.groups, groupIDs(groups.Items))
			require.False(t, groups.More)
		})
	}
}

// pageAll reads every page of a list with the given page size and returns the ids in order.
func pageAll(t *testing.T, limit int, list func(q Query) ([]string, bool)) []string {
	t.Helper()
	var out []string
	q := Query{Limit: limit}
	for pages := 0; ; pages++ {
		require.Less(t, pages, 10000, "pagination does not end")
		ids, more := list(q)
		require.LessOrEqual(t, len(ids), limit)
		out = append(out, ids...)
		if !more {
			return out
		}
		require.NotEmpty(t, ids, "a page with more must not be empty")
		q.After = ids[len(ids)-1]
	}
}

func TestPagination(t *testing.T) {
	r := New()
	var recs []*dirsyncv1.Record
	var users, ones, groups, sub []string
	// g0 has children g1…g9, each with children g<i>-<j>; user i is in group g<i%10>
	// (odd ones directly in g0's subtree leaves).
	recs = append(recs, nested("corp", "g0"))
	for i := 1; i < 10; i++ {
		recs = append(recs, nested("corp", fmt.Sprintf("g%d", i), "g0"))
		sub = append(sub, fmt.Sprintf("g%d", i))
		for j := 0; j < 3; j++ {
			id := fmt.Sprintf("g%d-%d", i, j)
			recs = append(recs, nested("corp", id, fmt.Sprintf("g%d", i)))
			sub = append(sub, id)
		}
	}
	groups = append([]string{"g0"}, sub...)
	for i := range 257 {
		id := fmt.Sprintf("user-%04d", i)
		g := fmt.Sprintf("g%d", i%10)
		if i%2 == 1 && i%10 != 0 {
			g = fmt.Sprintf("g%d-%d", i%10, i%3)
		}
		// every user is also directly in g0 if its index is a multiple of 3, to make the
		// transitive union hold duplicates.
		gs := []string{g}
		if i%3 == 0 {
			gs = append(gs, "g0")
		}
		recs = append(recs, member("corp", id, gs...))
		recs = append(recs, member("other", id, "g0"))
		users = append(users, id)
		if strings.HasPrefix(id, "user-01") {
			ones = append(ones, id)
		}
	}
	// user-0000 is in every group: its effective groups are all of them.
	recs = append(recs, member("corp", "user-0000", groups...))
	r.Apply(recs, uint64(len(recs)))
	slices.Sort(groups)
	slices.Sort(sub)
	require.Len(t, ones, 100)

	usersOf := func(p Page[*dirsyncv1.User]) ([]string, bool) { return userIDs(p.Items), p.More }
	groupsOf := func(p Page[*dirsyncv1.Group]) ([]string, bool) { return groupIDs(p.Items), p.More }
	must := func(f func(q Query) ([]string, bool, error)) func(q Query) ([]string, bool) {
		return func(q Query) ([]string, bool) {
			ids, more, err := f(q)
			require.NoError(t, err)
			return ids, more
		}
	}
	tests := []struct {
		name string
		list func(q Query) ([]string, bool)
		want []string
	}{
		{name: "users", want: users, list: func(q Query) ([]string, bool) {
			q.Directory = "corp"
			return usersOf(r.Users(q))
		}},
		{name: "users matching text", want: ones, list: func(q Query) ([]string, bool) {
			q.Directory, q.Text = "corp", "R-01"
			return usersOf(r.Users(q))
		}},
		{name: "groups", want: groups, list: func(q Query) ([]string, bool) {
			q.Directory = "corp"
			return groupsOf(r.Groups(q))
		}},
		{name: "transitive members", want: users, list: must(func(q Query) ([]string, bool, error) {
			q.Directory = "corp"
			p, err := r.GroupUsers(q, "g0", true)
			ids, more := usersOf(p)
			return ids, more, err
		})},
		{name: "descendants", want: sub, list: must(func(q Query) ([]string, bool, error) {
			q.Directory = "corp"
			p, err := r.GroupSubgroups(q, "g0", true)
			ids, more := groupsOf(p)
			return ids, more, err
		})},
		{name: "effective groups", want: groups, list: must(func(q Query) ([]string, bool, error) {
			q.Directory = "corp"
			p, err := r.UserGroups(q, "user-0000", true)
			ids, more := groupsOf(p)
			return ids, more, err
		})},
		{name: "direct groups", want: groups, list: must(func(q Query) ([]string, bool, error) {
			q.Directory = "corp"
			p, err := r.UserGroups(q, "user-0000", false)
			ids, more := groupsOf(p)
			return ids, more, err
		})},
	}
	for _, tt := range tests {
		for _, limit := range []int{1, 2, 7, 100, len(tt.want), len(tt.want) + 1} {
			t.Run(fmt.Sprintf("%s/limit=%d", tt.name, limit), func(t *testing.T) {
				require.Equal(t, tt.want, pageAll(t, limit, tt.list))
			})
		}
	}
}

func TestPageDefaultLimit(t *testing.T) {
	r := New()
	var recs []*dirsyncv1.Record
	for i := range DefaultLimit + 1 {
		recs = append(recs, member("corp", fmt.Sprintf("u%03d", i)))
	}
	r.Apply(recs, 1)
	p := r.Users(Query{Directory: "corp"})
	require.Len(t, p.Items, DefaultLimit)
	require.True(t, p.More)
}

// TestPaginationStableAcrossChanges: a change between two pages neither repeats nor skips
// the items that existed throughout, because pages continue after the last id seen.
func TestPaginationStableAcrossChanges(t *testing.T) {
	r := New()
	r.Apply([]*dirsyncv1.Record{
		member("corp", "b"), member("corp", "d"), member("corp", "f"), member("corp", "h"),
	}, 4)
	first := r.Users(Query{Directory: "corp", Limit: 2})
	require.Equal(t, []string{"b", "d"}, userIDs(first.Items))
	require.True(t, first.More)
	require.Equal(t, uint64(4), first.Version)

	r.Apply([]*dirsyncv1.Record{
		member("corp", "a"), member("corp", "c"), member("corp", "g"), tombstone(typeUser, "corp", "d"),
	}, 8)
	second := r.Users(Query{Directory: "corp", Limit: 2, After: "d"})
	require.Equal(t, []string{"f", "g"}, userIDs(second.Items))
	require.True(t, second.More)
	require.Equal(t, uint64(8), second.Version)
	third := r.Users(Query{Directory: "corp", Limit: 2, After: "g"})
	require.Equal(t, []string{"h"}, userIDs(third.Items))
	require.False(t, third.More)
}

func TestSearchKey(t *testing.T) {
	tests := []struct {
		fields []string
		want   string
	}{
		{fields: []string{"ID", "Ada Lovelace", "ada@EXAMPLE.com"}, want: "id\x00ada lovelace\x00ada@example.com"},
		{fields: []string{"", "x"}, want: "\x00x"},
		{fields: []string{"ABC Émile ÖZ", "plain"}, want: "abc émile öz\x00plain"},
		{fields: []string{"ÀB"}, want: "àb"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, searchKey(tt.fields...))
	}
}
