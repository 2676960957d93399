package main

import (
	"testing"

	"github.com/stretchr/testify/require"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

func userIDs(users []*dirsyncv1.User) []string {
	var ids []string
	for _, u := range users {
		ids = append(ids, u.Id)
	}
	return ids
}

func groupIDs(groups []*dirsyncv1.Group) []string {
	var ids []string
	for _, g := range groups {
		ids = append(ids, g.Id)
	}
	return ids
}

func TestUsersTables(t *testing.T) {
	ts := startServer(t)
	r := ctl(t, ts.addr, "users", "list", "acme")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, ""+
		"ID  EMAIL               DISPLAY NAME  STATE      GROUPS\n"+
		"u1  alice@acme.example  Alice Doe     ACTIVE     eng\n"+
		"u2  bob@acme.example    Bob Roe       ACTIVE     platform\n"+
		"u3  carol@acme.example  Carol Poe     SUSPENDED  sales\n", r.stdout)
	require.Empty(t, r.stderr)

	r = ctl(t, ts.addr, "users", "get", "acme", "u2")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, ""+
		"id                u2\n"+
		"directory         acme\n"+
		"display name      Bob Roe\n"+
		"email             bob@acme.example\n"+
		"username          -\n"+
		"given name        -\n"+
		"family name       -\n"+
		"state             ACTIVE\n"+
		"groups            platform\n"+
		"effective groups  all,eng,platform\n"+
		"attributes        -\n"+
		"record version    9\n", r.stdout)

	r = ctl(t, ts.addr, "users", "groups", "acme", "u2", "--effective")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, ""+
		"ID        NAME         EMAIL  PARENTS\n"+
		"all       All Staff    -      -\n"+
		"eng       Engineering  -      all\n"+
		"platform  Platform     -      eng\n", r.stdout)
}

func TestUsersPaging(t *testing.T) {
	ts := startServer(t)
	// One page of two: the rest is hinted on stderr.
	r := ctl(t, ts.addr, "users", "list", "acme", "--limit", "2")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "u2")
	require.NotContains(t, r.stdout, "u3")
	require.Contains(t, r.stderr, "more results: --page-token ")

	// The token of the first page continues it.
	first := jsonOf(t, ctl(t, ts.addr, "-o", "json", "users", "list", "acme", "--limit", "2"), &dirsyncv1.ListUsersResponse{})
	require.Equal(t, []string{"u1", "u2"}, userIDs(first.Users))
	require.NotEmpty(t, first.NextPageToken)
	rest := jsonOf(t, ctl(t, ts.addr, "users", "list", "acme", "-o", "json", "--page-token", first.NextPageToken), &dirsyncv1.ListUsersResponse{})
	require.Equal(t, []string{"u3"}, userIDs(rest.Users))
	require.Empty(t, rest.NextPageToken)

	// --all walks every page into one document.
	all := jsonOf(t, ctl(t, ts.addr, "users", "list", "acme", "--limit", "1", "--all", "-o", "json"), &dirsyncv1.ListUsersResponse{})
	require.Equal(t, []string{"u1", "u2", "u3"}, userIDs(all.Users))
	require.Empty(t, all.NextPageToken)
	require.EqualValues(t, 9, all.RecordVersion)
	r = ctl(t, ts.addr, "users", "list", "acme", "--limit", "1", "--all")
	require.Equal(t, 4, len(splitLines(r.stdout)), r.stdout)
	require.Empty(t, r.stderr)

	// --query narrows.
	q := jsonOf(t, ctl(t, ts.addr, "-o", "json", "users", "list", "acme", "--query", "CAROL"), &dirsyncv1.ListUsersResponse{})
	require.Equal(t, []string{"u3"}, userIDs(q.Users))
}

func TestUsersJSON(t *testing.T) {
	ts := startServer(t)
	got := jsonOf(t, ctl(t, ts.addr, "users", "get", "acme", "u3", "-o", "json"), &dirsyncv1.GetUserResponse{})
	require.Equal(t, "carol@acme.example", got.User.Email)
	require.Equal(t, dirsyncv1.UserState_USER_STATE_SUSPENDED, got.User.State)
	// Proto field names, as the REST API writes them.
	require.Contains(t, ctl(t, ts.addr, "-o", "json", "users", "get", "acme", "u3").stdout, `"effective_group_ids": [`)

	direct := jsonOf(t, ctl(t, ts.addr, "-o", "json", "users", "groups", "acme", "u2"), &dirsyncv1.ListUserGroupsResponse{})
	require.Equal(t, []string{"platform"}, groupIDs(direct.Groups))
}

func TestGroups(t *testing.T) {
	ts := startServer(t)
	r := ctl(t, ts.addr, "groups", "list", "acme")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, ""+
		"ID        NAME         EMAIL  PARENTS\n"+
		"all       All Staff    -      -\n"+
		"eng       Engineering  -      all\n"+
		"platform  Platform     -      eng\n"+
		"sales     Sales        -      all\n", r.stdout)

	r = ctl(t, ts.addr, "groups", "get", "acme", "platform")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "name            Platform\n")
	require.Contains(t, r.stdout, "ancestors       all,eng\n")

	list := jsonOf(t, ctl(t, ts.addr, "-o", "json", "groups", "list", "acme", "--limit", "3", "--all"), &dirsyncv1.ListGroupsResponse{})
	require.Equal(t, []string{"all", "eng", "platform", "sales"}, groupIDs(list.Groups))

	members := []struct {
		args  []string
		users []string
		sub   []string
	}{
		{args: []string{"eng"}, users: []string{"u1"}},
		{args: []string{"eng", "--transitive"}, users: []string{"u1", "u2"}},
		{args: []string{"all", "--transitive"}, users: []string{"u1", "u2", "u3"}},
		{args: []string{"all", "--groups"}, sub: []string{"eng", "sales"}},
		{args: []string{"all", "--groups", "--transitive"}, sub: []string{"eng", "platform", "sales"}},
	}
	for _, m := range members {
		args := append([]string{"-o", "json", "groups", "members", "acme"}, m.args...)
		got := jsonOf(t, ctl(t, ts.addr, args...), &dirsyncv1.ListGroupMembersResponse{})
		require.Equal(t, m.users, userIDs(got.Users), m.args)
		require.Equal(t, m.sub, groupIDs(got.Groups), m.args)
	}
	r = ctl(t, ts.addr, "groups", "members", "acme", "eng", "--transitive")
	require.Equal(t, ""+
		"ID  EMAIL               DISPLAY NAME  STATE   GROUPS\n"+
		"u1  alice@acme.example  Alice Doe     ACTIVE  eng\n"+
		"u2  bob@acme.example    Bob Roe       ACTIVE  platform\n", r.stdout)
	r = ctl(t, ts.addr, "groups", "members", "acme", "all", "--groups")
	require.Equal(t, ""+
		"ID     NAME         EMAIL  PARENTS\n"+
		"eng    Engineering  -      all\n"+
		"sales  Sales        -      all\n", r.stdout)
}

// TestQueryErrors: unknown records exit 3, bad input 2, each with the server's message.
func TestQueryErrors(t *testing.T) {
	ts := startServer(t)
	cases := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"users", "get", "acme", "nobody"}, exitNotFound, `dirsyncctl: NotFound: user "nobody" in directory "acme"`},
		{[]string{"groups", "get", "acme", "nope"}, exitNotFound, `NotFound: group "nope" in directory "acme"`},
		{[]string{"groups", "members", "acme", "nope"}, exitNotFound, `NotFound: group "nope"`},
		{[]string{"users", "groups", "acme", "nobody", "--effective"}, exitNotFound, `NotFound: user "nobody"`},
		{[]string{"users", "list", "acme", "--page-token", "garbage"}, exitUsage, "InvalidArgument: page_token: malformed page token"},
		{[]string{"users", "list", "acme", "--limit", "5000"}, exitUsage, "--limit 5000: want 0 to 1000"},
		{[]string{"users", "get", "acme"}, exitUsage, `users get: wrong number of arguments ["acme"]`},
		{[]string{"groups", "list"}, exitUsage, "groups list: wrong number of arguments"},
		{[]string{"groups", "members", "acme", "eng", "extra"}, exitUsage, "wrong number of arguments"},
		{[]string{"users", "list", "acme", "--bogus"}, exitUsage, "flag provided but not defined: -bogus"},
	}
	for _, c := range cases {
		r := ctl(t, ts.addr, c.args...)
		require.Equal(t, c.code, r.code, "%v: %s", c.args, r.stderr)
		require.Contains(t, r.stderr, c.stderr, c.args)
		require.Empty(t, r.stdout, c.args)
	}
}
