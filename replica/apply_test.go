package replica

import (
	"testing"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store"
	"github.com/stretchr/testify/require"
)

// graphWant is what a test expects of directory corp's membership; nil maps are not checked.
// Missing groups or users are expected as nil (not found).
type graphWant struct {
	member     map[[2]string]bool  // {user, group} → IsMember
	directOf   map[string][]string // group → direct member users
	usersOf    map[string][]string // group → transitive member users
	childrenOf map[string][]string // group → direct child groups
	groupsOf   map[string][]string // user → effective groups
}

func (w graphWant) check(t *testing.T, r *Replica) {
	t.Helper()
	q := Query{Directory: "corp", Limit: 100}
	for k, want := range w.member {
		require.Equal(t, want, r.IsMember("corp", k[0], k[1]), "IsMember(%s, %s)", k[0], k[1])
	}
	for g, want := range w.directOf {
		p, err := r.GroupUsers(q, g, false)
		require.Equal(t, want, nilIfNotFound(t, err, userIDs(p.Items)), "direct members of %s", g)
	}
	for g, want := range w.usersOf {
		p, err := r.GroupUsers(q, g, true)
		require.Equal(t, want, nilIfNotFound(t, err, userIDs(p.Items)), "members of %s", g)
	}
	for g, want := range w.childrenOf {
		p, err := r.GroupSubgroups(q, g, false)
		require.Equal(t, want, nilIfNotFound(t, err, groupIDs(p.Items)), "children of %s", g)
	}
	for u, want := range w.groupsOf {
		p, err := r.UserGroups(q, u, true)
		require.Equal(t, want, nilIfNotFound(t, err, groupIDs(p.Items)), "groups of %s", u)
	}
}

func nilIfNotFound(t *testing.T, err error, ids []string) []string {
	if err != nil {
		require.ErrorIs(t, err, store.ErrNotFound)
		return nil
	}
	return ids
}

func TestApplyChanges(t *testing.T) {
	// eng ⊂ dept ⊂ company, ops ⊂ company, other; alice ∈ eng, bob ∈ dept.
	base := []*dirsyncv1.Record{
		nested("corp", "company"),
		nested("corp", "dept", "company"),
		nested("corp", "eng", "dept"),
		nested("corp", "ops", "company"),
		nested("corp", "other"),
		member("corp", "alice", "eng"),
		member("corp", "bob", "dept"),
	}
	baseWant := graphWant{
		member:     map[[2]string]bool{{"alice", "company"}: true, {"alice", "eng"}: true, {"alice", "other"}: false},
		usersOf:    map[string][]string{"company": {"alice", "bob"}, "dept": {"alice", "bob"}, "other": {}},
		childrenOf: map[string][]string{"company": {"dept", "ops"}, "dept": {"eng"}},
		groupsOf:   map[string][]string{"alice": {"company", "dept", "eng"}},
	}
	tests := []struct {
		name   string
		change []*dirsyncv1.Record
		want   graphWant
	}{
		{
			name:   "move a user to another group",
			change: []*dirsyncv1.Record{member("corp", "alice", "other")},
			want: graphWant{
				member:   map[[2]string]bool{{"alice", "company"}: false, {"alice", "eng"}: false, {"alice", "other"}: true},
				directOf: map[string][]string{"eng": {}, "other": {"alice"}},
				usersOf:  map[string][]string{"company": {"bob"}, "dept": {"bob"}, "other": {"alice"}},
				groupsOf: map[string][]string{"alice": {"other"}},
			},
		},
		{
			name:   "re-parent a group",
			change: []*dirsyncv1.Record{nested("corp", "eng", "other")},
			want: graphWant{
				member:     map[[2]string]bool{{"alice", "company"}: false, {"alice", "eng"}: true, {"alice", "other"}: true},
				usersOf:    map[string][]string{"company": {"bob"}, "dept": {"bob"}, "other": {"alice"}},
				childrenOf: map[string][]string{"dept": {}, "other": {"eng"}},
				groupsOf:   map[string][]string{"alice": {"eng", "other"}},
			},
		},
		{
			name:   "delete a user",
			change: []*dirsyncv1.Record{tombstone(typeUser, "corp", "alice")},
			want: graphWant{
				member:   map[[2]string]bool{{"alice", "company"}: false, {"alice", "eng"}: false},
				directOf: map[string][]string{"eng": {}},
				usersOf:  map[string][]string{"company": {"bob"}},
				groupsOf: map[string][]string{"alice": nil},
			},
		},
		{
			name:   "delete a group in the middle",
			change: []*dirsyncv1.Record{tombstone(typeGroup, "corp", "dept")},
			want: graphWant{
				member:     map[[2]string]bool{{"alice", "company"}: false, {"alice", "eng"}: true, {"bob", "dept"}: false},
				usersOf:    map[string][]string{"company": {}, "dept": nil, "eng": {"alice"}},
				childrenOf: map[string][]string{"company": {"ops"}, "dept": nil},
				groupsOf:   map[string][]string{"alice": {"eng"}, "bob": {}},
			},
		},
		{
			name:   "a deleted group comes back with its edges",
			change: []*dirsyncv1.Record{tombstone(typeGroup, "corp", "dept"), nested("corp", "dept", "company")},
			want:   baseWant,
		},
		{
			name:   "a group appears under a group referenced before it existed",
			change: []*dirsyncv1.Record{nested("corp", "company", "holding"), nested("corp", "holding")},
			want: graphWant{
				member:   map[[2]string]bool{{"alice", "holding"}: true, {"bob", "holding"}: true},
				groupsOf: map[string][]string{"alice": {"company", "dept", "eng", "holding"}},
			},
		},
		{
			name: "tombstones of unknown records and records of unknown types are ignored",
			change: []*dirsyncv1.Record{
				tombstone(typeUser, "corp", "nobody"),
				tombstone(typeGroup, "corp", "nogroup"),
				tombstone(typeUser, "nodir", "alice"),
				{Type: dirsyncv1.RecordType(99), Directory: "corp", Id: "alice"},
				{Type: dirsyncv1.RecordType_RECORD_TYPE_UNSPECIFIED, Directory: "corp", Id: "dept", Deleted: true},
				{Type: typeUser, Directory: "corp", Id: "alice"}, // upsert without data
			},
			want: baseWant,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New()
			r.Apply(base, 7)
			baseWant.check(t, r) // also fills the ancestry caches the change must invalidate
			r.Apply(tt.change, 9)
			require.Equal(t, uint64(9), r.Version())
			tt.want.check(t, r)
		})
	}
}

func TestApplyUpdatesData(t *testing.T) {
	r := New()
	r.Apply([]*dirsyncv1.Record{
		userRec(&dirsyncv1.User{Directory: "corp", Id: "u1", DisplayName: "Old Name"}),
		groupRec(&dirsyncv1.Group{Directory: "corp", Id: "g1", Name: "Old Group"}),
	}, 2)
	r.Apply([]*dirsyncv1.Record{
		userRec(&dirsyncv1.User{Directory: "corp", Id: "u1", DisplayName: "New Name"}),
		groupRec(&dirsyncv1.Group{Directory: "corp", Id: "g1", Name: "New Group"}),
	}, 4)

	u, err := r.User("corp", "u1")
	require.NoError(t, err)
	require.Equal(t, "New Name", u.GetDisplayName())
	g, err := r.Group("corp", "g1")
	require.NoError(t, err)
	require.Equal(t, "New Group", g.GetName())
	require.Empty(t, r.Users(Query{Directory: "corp", Text: "old"}).Items)
	require.Len(t, r.Users(Query{Directory: "corp", Text: "new"}).Items, 1)
	require.Empty(t, r.Groups(Query{Directory: "corp", Text: "old"}).Items)
	users, groups := r.Counts("corp")
	require.Equal(t, [2]int{1, 1}, [2]int{users, groups})
}

func TestApplyKeyFallsBackToData(t *testing.T) {
	r := New()
	r.Apply([]*dirsyncv1.Record{{Type: typeUser,
		Data: &dirsyncv1.Record_User{User: &dirsyncv1.User{Directory: "corp", Id: "u1"}}}}, 1)
	_, err := r.User("corp", "u1")
	require.NoError(t, err)
}

func TestVersion(t *testing.T) {
	tests := []struct {
		name     string
		versions []uint64
		want     uint64
	}{
		{name: "starts at zero", want: 0},
		{name: "rises", versions: []uint64{3, 5}, want: 5},
		{name: "never falls", versions: []uint64{5, 0, 3}, want: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New()
			for _, v := range tt.versions {
				r.Apply(nil, v)
			}
			require.Equal(t, tt.want, r.Version())
		})
	}
}

func TestReset(t *testing.T) {
	r := membershipFixture()
	require.True(t, r.IsMember("corp", "alice", "company"))
	r.Reset()

	require.Equal(t, uint64(0), r.Version())
	_, err := r.User("corp", "alice")
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = r.Group("corp", "company")
	require.ErrorIs(t, err, store.ErrNotFound)
	require.False(t, r.IsMember("corp", "alice", "company"))
	require.Empty(t, r.Users(all("corp")).Items)
	require.Empty(t, r.Groups(all("lab")).Items)

	// The replica is usable again after a reset.
	r.Apply([]*dirsyncv1.Record{nested("corp", "g"), member("corp", "alice", "g")}, 2)
	require.True(t, r.IsMember("corp", "alice", "g"))
	require.Equal(t, uint64(2), r.Version())
}

// TestGroupAppearsAfterReference: edges to a group that has no record yet are kept, and
// count as soon as the group appears, even after reads cached the graph without it.
func TestGroupAppearsAfterReference(t *testing.T) {
	tests := []struct {
		name   string
		before []*dirsyncv1.Record // references holding before it exists
		groups []string            // alice's effective groups meanwhile
		want   graphWant           // once holding exists
	}{
		{
			name:   "parent of a group",
			before: []*dirsyncv1.Record{nested("corp", "team", "holding"), member("corp", "alice", "team")},
			groups: []string{"team"},
			want: graphWant{
				member:     map[[2]string]bool{{"alice", "holding"}: true},
				usersOf:    map[string][]string{"holding": {"alice"}},
				childrenOf: map[string][]string{"holding": {"team"}},
				groupsOf:   map[string][]string{"alice": {"holding", "team"}},
			},
		},
		{
			name:   "direct group of a user",
			before: []*dirsyncv1.Record{member("corp", "alice", "holding")},
			groups: []string{},
			want: graphWant{
				member:   map[[2]string]bool{{"alice", "holding"}: true},
				directOf: map[string][]string{"holding": {"alice"}},
				groupsOf: map[string][]string{"alice": {"holding"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New()
			r.Apply(tt.before, 1)
			graphWant{
				member:   map[[2]string]bool{{"alice", "holding"}: false},
				usersOf:  map[string][]string{"holding": nil},
				groupsOf: map[string][]string{"alice": tt.groups},
			}.check(t, r)
			r.Apply([]*dirsyncv1.Record{nested("corp", "holding")}, 2)
			tt.want.check(t, r)
		})
	}
}
