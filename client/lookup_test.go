package client

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dirsync/dirsync/server"
	"github.com/dirsync/dirsync/store"
	"github.com/dirsync/dirsync/store/memory"
)

// TestLookups: the convenience lookups answer from the replica, membership through nested
// groups included.
func TestLookups(t *testing.T) {
	st := memory.New()
	apply(t, st, "corp",
		testGroup("corp", "all"), testGroup("corp", "eng", "all"), testGroup("corp", "db", "eng"),
		testGroup("corp", "dup"), testGroup("corp", "dup2"),
		testUser("corp", "alice", "db"), testUser("corp", "bob"))
	apply(t, st, "other", testUser("other", "alice"))
	g := testGroup("corp", "dup2")
	g.GetGroup().Name = "Group dup"
	v := apply(t, st, "corp", g)
	ts := startServer(t, st, server.Options{})
	c := startClient(t, ts, Options{})
	require.NoError(t, c.WaitForVersion(within(t, 5*time.Second), v.Latest))

	u, err := c.User("corp", "alice")
	require.NoError(t, err)
	require.Equal(t, "User alice", u.GetDisplayName())
	u, err = c.UserByEmail("corp", "BOB@example.com")
	require.NoError(t, err)
	require.Equal(t, "bob", u.GetId())
	_, err = c.User("corp", "carol")
	require.ErrorIs(t, err, store.ErrNotFound)
	grp, err := c.Group("corp", "eng")
	require.NoError(t, err)
	require.Equal(t, "Group eng", grp.GetName())
	_, err = c.Group("other", "eng")
	require.ErrorIs(t, err, store.ErrNotFound)
	require.Len(t, c.GroupsByName("corp", "Group dup"), 2, "an ambiguous name")
	require.Len(t, c.GroupsByName("corp", "Group all"), 1)

	for _, tc := range []struct {
		dir, user, group string
		want             bool
	}{
		{"corp", "alice", "db", true},
		{"corp", "alice", "eng", true},
		{"corp", "alice", "all", true},
		{"corp", "alice", "dup", false},
		{"corp", "bob", "all", false},
		{"other", "alice", "db", false},
		{"corp", "carol", "db", false},
	} {
		require.Equal(t, tc.want, c.IsMember(tc.dir, tc.user, tc.group), "%+v", tc)
	}
	groups, err := c.EffectiveGroups("corp", "alice")
	require.NoError(t, err)
	require.Equal(t, []string{"all", "db", "eng"}, groups)
	groups, err = c.EffectiveGroups("corp", "bob")
	require.NoError(t, err)
	require.Empty(t, groups)
	_, err = c.EffectiveGroups("corp", "carol")
	require.ErrorIs(t, err, store.ErrNotFound)
}
