package okta

import (
	"fmt"
	"testing"
	"time"

	"github.com/dirsync/dirsync/providers/providertest"
	"github.com/stretchr/testify/require"
)

// populate fills f with users and groups without moving its clock. Group 00g0000 is
// Okta's built-in Everyone group (every user); user i is also in groups 1+i%(groups-1)
// and 1+(7i+3)%(groups-1), and every tenth user in 00g0001 (a group of many pages).
func populate(f *fakeOkta, users, groups int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.sorted)
	gid := func(i int) string { return fmt.Sprintf("00g%04d", i) }
	for i := range groups {
		f.groups[gid(i)] = &fakeGroup{ID: gid(i), Name: fmt.Sprintf("Group %d", i), Description: "A group of people",
			Type: "OKTA_GROUP", LastUpdated: f.now, LastMembershipUpdated: f.now}
		f.members[gid(i)] = map[string]bool{}
	}
	f.groups[gid(0)].Name, f.groups[gid(0)].Type = "Everyone", "BUILT_IN"
	for i := range users {
		id := fmt.Sprintf("00u%06d", i)
		f.users[id] = &fakeUser{ID: id, Status: "ACTIVE", Login: id + "@example.com", Email: id + "@example.com",
			First: "User", Last: fmt.Sprintf("Number %d", i), Created: f.now, LastUpdated: f.now}
		f.members[gid(0)][id] = true
		f.members[gid(1+i%(groups-1))][id] = true
		f.members[gid(1+(7*i+3)%(groups-1))][id] = true
		if i%10 == 0 {
			f.members[gid(1)][id] = true
		}
	}
	f.now = f.now.Add(10 * time.Minute)
}

// minimumRequests is the fewest requests a full sync of f can make with Okta's API: every
// page of users and of groups, and every page of each group's members (at least one).
func minimumRequests(f *fakeOkta) map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	pages := func(n int) int { return max(1, (n+pageSize-1)/pageSize) }
	members := 0
	for _, m := range f.members {
		members += pages(len(m))
	}
	return map[string]int{"users": pages(len(f.users)), "groups": pages(len(f.groups)), "group members": members}
}

// TestRequestCount checks that a full sync of 10,000 users and 1,000 groups makes exactly
// the minimum the API allows plus one token request, and an incremental run without
// changes two requests.
func TestRequestCount(t *testing.T) {
	f := newFakeOkta(t)
	populate(f, 10000, 1000)
	p := newTest(t, f, appAuth(t, f))
	want := minimumRequests(f)
	require.Equal(t, 50, want["users"])
	require.Equal(t, 5, want["groups"])
	require.Equal(t, 50+6+998, want["group members"]) // Everyone, 00g0001, the other 998
	want["token"] = 1

	res := syncOnce(t, p, nil)
	require.Len(t, res.Users, 10000)
	require.Len(t, res.Groups, 1000)
	require.Equal(t, []string{"00g0000", "00g0001", "00g0004"}, providertest.ByID(res.Users)["00u000000"].GroupIds)
	require.Equal(t, want, f.requests.Reset())

	// No change: the users filter and the groups filter, one page each.
	res = syncOnce(t, p, res.Cursor)
	require.True(t, res.Unchanged)
	require.Equal(t, map[string]int{"users": 1, "groups": 1}, f.requests.Reset())

	// One membership change: the two filters and the one group's members.
	f.addMember("00g0500", "00u000001")
	res = syncOnce(t, p, res.Cursor)
	require.Equal(t, []string{"00u000001"}, providertest.IDs(res.Users))
	require.Equal(t, []string{"00g0000", "00g0002", "00g0011", "00g0500"}, res.Users[0].GroupIds)
	require.Equal(t, map[string]int{"users": 1, "groups": 1, "group members": 1}, f.requests.Reset())
}

// TestRequestCountAfterRestart: for the same org, the first run after a restart rebuilds
// the membership index from the store instead of reading the org again: a membership
// change costs the two filters and the group's members, not the ~1,100 requests of a
// full read.
func TestRequestCountAfterRestart(t *testing.T) {
	f := newFakeOkta(t)
	populate(f, 10000, 1000)
	p := newTest(t, f, tokenAuth(f))
	h := providertest.Start(t, p)
	require.Len(t, h.Users(t), 10000)
	h.Changes()

	p.mem.forget()
	f.requests.Reset()
	f.addMember("00g0500", "00u000001")
	st := h.Sync(t)
	require.False(t, st.GetLastFull())
	require.Equal(t, map[string]int{"users": 1, "groups": 1, "group members": 1}, f.requests.Reset())
	require.Equal(t, []string{"00u000001"}, providertest.Upserted(h.Changes(), userRec))
	require.Equal(t, []string{"00g0000", "00g0002", "00g0011", "00g0500"}, h.Users(t)["00u000001"].GetGroupIds())
}
