package replica

import (
	"testing"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store"
	"github.com/stretchr/testify/require"
)

func TestLookups(t *testing.T) {
	r := New()
	r.Apply([]*dirsyncv1.Record{
		userRec(&dirsyncv1.User{Directory: "corp", Id: "u1", Email: "Alice@Example.com", DisplayName: "Alice"}),
		userRec(&dirsyncv1.User{Directory: "corp", Id: "u3", Email: "shared@example.com"}),
		userRec(&dirsyncv1.User{Directory: "corp", Id: "u2", Email: "SHARED@example.com"}),
		userRec(&dirsyncv1.User{Directory: "corp", Id: "u4"}),
		userRec(&dirsyncv1.User{Directory: "lab", Id: "u1", Email: "alice@lab.example", DisplayName: "Alice Lab"}),
		groupRec(&dirsyncv1.Group{Directory: "corp", Id: "g1", Name: "Admins"}),
	}, 6)

	tests := []struct {
		name     string
		get      func() (string, error) // returns the found record's directory/id
		want     string
		notFound bool
	}{
		{name: "user by id", get: userAt(r.User("corp", "u1")), want: "corp/u1"},
		{name: "same id in other directory", get: userAt(r.User("lab", "u1")), want: "lab/u1"},
		{name: "unknown user", get: userAt(r.User("corp", "nope")), notFound: true},
		{name: "unknown directory", get: userAt(r.User("nope", "u1")), notFound: true},
		{name: "group id is not a user", get: userAt(r.User("corp", "g1")), notFound: true},
		{name: "email exact", get: userAt(r.UserByEmail("corp", "Alice@Example.com")), want: "corp/u1"},
		{name: "email other case", get: userAt(r.UserByEmail("corp", "ALICE@EXAMPLE.COM")), want: "corp/u1"},
		{name: "email in other directory", get: userAt(r.UserByEmail("lab", "ALICE@lab.example")), want: "lab/u1"},
		{name: "email of other directory", get: userAt(r.UserByEmail("lab", "alice@example.com")), notFound: true},
		{name: "shared email gives lowest id", get: userAt(r.UserByEmail("corp", "shared@EXAMPLE.com")), want: "corp/u2"},
		{name: "empty email", get: userAt(r.UserByEmail("corp", "")), notFound: true},
		{name: "group by id", get: groupAt(r.Group("corp", "g1")), want: "corp/g1"},
		{name: "group of other directory", get: groupAt(r.Group("lab", "g1")), notFound: true},
		{name: "user id is not a group", get: groupAt(r.Group("corp", "u1")), notFound: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.get()
			if tt.notFound {
				require.ErrorIs(t, err, store.ErrNotFound)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func userAt(u *dirsyncv1.User, err error) func() (string, error) {
	return func() (string, error) { return u.GetDirectory() + "/" + u.GetId(), err }
}

func groupAt(g *dirsyncv1.Group, err error) func() (string, error) {
	return func() (string, error) { return g.GetDirectory() + "/" + g.GetId(), err }
}

func TestUserByEmailFollowsUpdates(t *testing.T) {
	r := New()
	r.Apply([]*dirsyncv1.Record{
		userRec(&dirsyncv1.User{Directory: "corp", Id: "u1", Email: "old@example.com"}),
	}, 1)
	r.Apply([]*dirsyncv1.Record{
		userRec(&dirsyncv1.User{Directory: "corp", Id: "u1", Email: "New@example.com"}),
	}, 2)

	_, err := r.UserByEmail("corp", "old@example.com")
	require.ErrorIs(t, err, store.ErrNotFound)
	u, err := r.UserByEmail("corp", "new@example.com")
	require.NoError(t, err)
	require.Equal(t, "New@example.com", u.GetEmail())

	r.Apply([]*dirsyncv1.Record{tombstone(typeUser, "corp", "u1")}, 3)
	_, err = r.UserByEmail("corp", "new@example.com")
	require.ErrorIs(t, err, store.ErrNotFound)
}

func TestCountsAndDirectories(t *testing.T) {
	r := New()
	require.Empty(t, r.Directories())
	r.Apply([]*dirsyncv1.Record{
		member("corp", "u1"), member("corp", "u2"), nested("corp", "g1"),
		member("lab", "u1"), member("gone", "u1"),
	}, 5)
	r.Apply([]*dirsyncv1.Record{tombstone(typeUser, "gone", "u1")}, 6)

	tests := []struct {
		dir           string
		users, groups int
	}{
		{dir: "corp", users: 2, groups: 1},
		{dir: "lab", users: 1},
		{dir: "gone"},
		{dir: "none"},
	}
	for _, tt := range tests {
		users, groups := r.Counts(tt.dir)
		require.Equal(t, [2]int{tt.users, tt.groups}, [2]int{users, groups}, tt.dir)
	}
	require.Equal(t, []string{"corp", "lab"}, r.Directories(), "a directory whose records are all deleted is not listed")
}

func TestGroupsByName(t *testing.T) {
	r := New()
	r.Apply([]*dirsyncv1.Record{
		groupRec(&dirsyncv1.Group{Directory: "corp", Id: "g2", Name: "Engineering"}), groupRec(&dirsyncv1.Group{Directory: "corp", Id: "g1", Name: "Engineering"}), groupRec(&dirsyncv1.Group{Directory: "corp", Id: "g3", Name: "Sales"}),
		groupRec(&dirsyncv1.Group{Directory: "other", Id: "g9", Name: "Sales"}),
	}, 1)
	ids := func(dir, name string) []string {
		var out []string
		for _, g := range r.GroupsByName(dir, name) {
			out = append(out, g.GetId())
		}
		return out
	}
	require.Equal(t, []string{"g1", "g2"}, ids("corp", "Engineering"))
	require.Equal(t, []string{"g3"}, ids("corp", "Sales"))
	require.Empty(t, ids("corp", "sales"), "names match exactly")
	require.Empty(t, ids("nowhere", "Sales"))

	// A rename moves the group; a delete removes it.
	r.Apply([]*dirsyncv1.Record{groupRec(&dirsyncv1.Group{Directory: "corp", Id: "g2", Name: "Platform"}), {Type: dirsyncv1.RecordType_RECORD_TYPE_GROUP, Directory: "corp", Id: "g3", Deleted: true}}, 2)
	require.Equal(t, []string{"g1"}, ids("corp", "Engineering"))
	require.Equal(t, []string{"g2"}, ids("corp", "Platform"))
	require.Empty(t, ids("corp", "Sales"))
}
