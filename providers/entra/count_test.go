package entra

import (
	"context"
	"fmt"
	"testing"

	"github.com/dirsync/dirsync/providers/providertest"
	"github.com/stretchr/testify/require"
)

// bigDirectory gives f the tenant: 10,000 users and 1,000 groups, each user in
// three groups and each group but the first nested in another. It returns the number of
// member references (user and group members).
func bigDirectory(f *fakeEntra) (users, groups, members int) {
	users, groups = 10_000, 1_000
	for i := range groups {
		f.putGroup(fmt.Sprintf("g%04d", i), group(fmt.Sprintf("group %d", i)))
	}
	for i := range users {
		id := fmt.Sprintf("u%05d", i)
		f.putUser(id, user(id, i%50 != 0))
		for _, g := range []int{i % groups, (i/10 + 500) % groups, (i*7 + 3) % groups} {
			f.mu.Lock()
			_, dup := f.groups[fmt.Sprintf("g%04d", g)].members[id]
			f.mu.Unlock()
			if !dup {
				f.addMember(fmt.Sprintf("g%04d", g), id, "user")
				members++
			}
		}
	}
	for i := 1; i < groups; i++ {
		f.addMember(fmt.Sprintf("g%04d", (i-1)/10), fmt.Sprintf("g%04d", i), "group")
		members++
	}
	return users, groups, members
}

// TestRequestCount: a full sync of 10,000 users and 1,000 groups makes the fewest requests
// Graph allows: one token, ceil(10000/999) user pages, and the group pages the members
// need at 999 entries a page (see fakeEntra's member-paging model); an incremental run
// without changes makes one request per collection and reuses the token.
func TestRequestCount(t *testing.T) {
	f := newFakeEntra(t)
	users, groups, members := bigDirectory(f)
	p := newTestProvider(t, f.options())

	res, err := p.Sync(context.Background(), nil)
	require.NoError(t, err)
	require.Len(t, res.Users, users)
	require.Len(t, res.Groups, groups)
	require.Equal(t, 1, f.requests.Count("token"))
	require.Equal(t, providertest.CeilDiv(users, 999), f.requests.Count("users"))
	require.Equal(t, 11, f.requests.Count("users"))
	require.Equal(t, providertest.CeilDiv(groups+members, 999), f.requests.Count("groups"))
	t.Logf("full sync: %d token + %d user pages + %d group pages (%d member references); cursor %d bytes",
		f.requests.Count("token"), f.requests.Count("users"), f.requests.Count("groups"), members, len(res.Cursor))

	f.resetCounts()
	again, err := p.Sync(context.Background(), res.Cursor)
	require.NoError(t, err)
	require.True(t, again.Unchanged)
	require.Equal(t, 1, f.requests.Count("users"))
	require.Equal(t, 1, f.requests.Count("groups"))
	require.Zero(t, f.requests.Count("token"))
}
