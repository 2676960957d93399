package replica

import (
	"testing"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store"
	"github.com/stretchr/testify/require"
)

// membershipFixture builds, in directory corp:
//
//	eng ⊂ dept ⊂ company           (three levels)
//	a ⊂ b ⊂ c ⊂ a, x ⊂ a           (a cycle, and a group hanging off it)
//	orphan ⊂ ghost                 (ghost has no record)
//	selfie ⊂ selfie, selfie ⊂ company
//
// with users alice ∈ eng, bob ∈ dept, carol ∈ b, dave ∈ ghost, erin ∈ {x, company},
// frank ∈ {}, sam ∈ selfie; and in directory lab: group company with alice ∈ company.
func membershipFixture() *Replica {
	r := New()
	r.Apply([]*dirsyncv1.Record{
		nested("corp", "company"),
		nested("corp", "dept", "company"),
		nested("corp", "eng", "dept"),
		nested("corp", "a", "b"),
		nested("corp", "b", "c"),
		nested("corp", "c", "a"),
		nested("corp", "x", "a"),
		nested("corp", "orphan", "ghost"),
		nested("corp", "selfie", "selfie", "company"),
		member("corp", "alice", "eng"),
		member("corp", "bob", "dept"),
		member("corp", "carol", "b"),
		member("corp", "dave", "ghost"),
		member("corp", "erin", "x", "company"),
		member("corp", "frank"),
		member("corp", "sam", "selfie"),
		nested("lab", "company"),
		member("lab", "alice", "company"),
	}, 18)
	return r
}

func TestIsMember(t *testing.T) {
	r := membershipFixture()
	tests := []struct {
		dir, user, group string
		want             bool
	}{
		{"corp", "alice", "eng", true},
		{"corp", "alice", "dept", true},
		{"corp", "alice", "company", true},
		{"corp", "alice", "a", false},
		{"corp", "bob", "eng", false},
		{"corp", "bob", "company", true},
		{"corp", "carol", "b", true},
		{"corp", "carol", "c", true},
		{"corp", "carol", "a", true},
		{"corp", "carol", "x", false},
		{"corp", "erin", "a", true},
		{"corp", "erin", "b", true},
		{"corp", "erin", "company", true},
		{"corp", "erin", "eng", false},
		{"corp", "dave", "ghost", false},
		{"corp", "frank", "company", false},
		{"corp", "sam", "selfie", true},
		{"corp", "sam", "company", true},
		{"corp", "nobody", "company", false},
		{"corp", "alice", "nogroup", false},
		{"lab", "alice", "company", true},
		{"lab", "alice", "eng", false},
		{"lab", "bob", "company", false},
		{"none", "alice", "eng", false},
	}
	for _, tt := range tests {
		t.Run(tt.dir+"/"+tt.user+"∈"+tt.group, func(t *testing.T) {
			require.Equal(t, tt.want, r.IsMember(tt.dir, tt.user, tt.group))
		})
	}
}

func TestGroupUsers(t *testing.T) {
	r := membershipFixture()
	tests := []struct {
		group, text string
		transitive  bool
		want        []string
		notFound    bool
	}{
		{group: "company", want: []string{"erin"}},
		{group: "company", transitive: true, want: []string{"alice", "bob", "erin", "sam"}},
		{group: "company", transitive: true, text: "ALI", want: []string{"alice"}},
		{group: "dept", want: []string{"bob"}},
		{group: "dept", transitive: true, want: []string{"alice", "bob"}},
		{group: "eng", transitive: true, want: []string{"alice"}},
		{group: "a", want: []string{}},
		{group: "a", transitive: true, want: []string{"carol", "erin"}},
		{group: "b", transitive: true, want: []string{"carol", "erin"}},
		{group: "c", transitive: true, want: []string{"carol", "erin"}},
		{group: "x", transitive: true, want: []string{"erin"}},
		{group: "orphan", transitive: true, want: []string{}},
		{group: "ghost", notFound: true},
		{group: "ghost", transitive: true, notFound: true},
	}
	for _, tt := range tests {
		t.Run(name(tt.group, tt.text, tt.transitive), func(t *testing.T) {
			p, err := r.GroupUsers(Query{Directory: "corp", Text: tt.text, Limit: 10}, tt.group, tt.transitive)
			if tt.notFound {
				require.ErrorIs(t, err, store.ErrNotFound)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, userIDs(p.Items))
			require.Equal(t, uint64(18), p.Version)
		})
	}
}

func TestGroupSubgroups(t *testing.T) {
	r := membershipFixture()
	tests := []struct {
		group      string
		transitive bool
		want       []string
		notFound   bool
	}{
		{group: "company", want: []string{"dept", "selfie"}},
		{group: "company", transitive: true, want: []string{"dept", "eng", "selfie"}},
		{group: "eng", transitive: true, want: []string{}},
		{group: "a", want: []string{"c", "x"}},
		{group: "a", transitive: true, want: []string{"b", "c", "x"}},
		{group: "b", transitive: true, want: []string{"a", "c", "x"}},
		{group: "selfie", want: []string{}},
		{group: "selfie", transitive: true, want: []string{}},
		{group: "ghost", notFound: true},
	}
	for _, tt := range tests {
		t.Run(name(tt.group, "", tt.transitive), func(t *testing.T) {
			p, err := r.GroupSubgroups(Query{Directory: "corp", Limit: 10}, tt.group, tt.transitive)
			if tt.notFound {
				require.ErrorIs(t, err, store.ErrNotFound)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, groupIDs(p.Items))
		})
	}
}

func TestUserGroups(t *testing.T) {
	r := membershipFixture()
	tests := []struct {
		dir, user string
		effective bool
		want      []string
		notFound  bool
	}{
		{dir: "corp", user: "alice", want: []string{"eng"}},
		{dir: "corp", user: "alice", effective: true, want: []string{"company", "dept", "eng"}},
		{dir: "corp", user: "carol", want: []string{"b"}},
		{dir: "corp", user: "carol", effective: true, want: []string{"a", "b", "c"}},
		{dir: "corp", user: "erin", want: []string{"company", "x"}},
		{dir: "corp", user: "erin", effective: true, want: []string{"a", "b", "c", "company", "x"}},
		{dir: "corp", user: "dave", want: []string{}},
		{dir: "corp", user: "dave", effective: true, want: []string{}},
		{dir: "corp", user: "frank", effective: true, want: []string{}},
		{dir: "corp", user: "sam", effective: true, want: []string{"company", "selfie"}},
		{dir: "lab", user: "alice", effective: true, want: []string{"company"}},
		{dir: "corp", user: "nobody", notFound: true},
		{dir: "none", user: "alice", notFound: true},
	}
	for _, tt := range tests {
		t.Run(tt.dir+"/"+name(tt.user, "", tt.effective), func(t *testing.T) {
			p, err := r.UserGroups(Query{Directory: tt.dir, Limit: 10}, tt.user, tt.effective)
			if tt.notFound {
				require.ErrorIs(t, err, store.ErrNotFound)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, groupIDs(p.Items))
		})
	}
}

func name(id, text string, transitive bool) string {
	if transitive {
		id += "/transitive"
	}
	if text != "" {
		id += "/" + text
	}
	return id
}
