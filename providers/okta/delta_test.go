package okta

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/providertest"
)

const (
	userRec  = dirsyncv1.RecordType_RECORD_TYPE_USER
	groupRec = dirsyncv1.RecordType_RECORD_TYPE_GROUP
)

// TestIncremental runs the provider under the real syncer and checks that each change in
// Okta reaches a Sync subscriber as the right upserts and tombstones, with the requests
// each incremental run makes.
func TestIncremental(t *testing.T) {
	f := newFakeOkta(t)
	f.addGroup("00g1", "Engineering", "Builds things")
	f.addGroup("00g2", "Sales", "Sells things")
	f.addUser("00u1", "ACTIVE", "00g1")
	f.addUser("00u2", "ACTIVE", "00g1", "00g2")
	f.addUser("00u3", "ACTIVE")
	p := newTest(t, f, tokenAuth(f))
	h := providertest.Start(t, p)
	require.Equal(t, []string{"00u1", "00u2", "00u3"}, providertest.Upserted(h.Changes(), userRec))
	f.requests.Reset()

	type want struct {
		users, groups, deletedUsers, deletedGroups []string
		requests                                   map[string]int
	}
	step := func(t *testing.T, w want) {
		t.Helper()
		st := h.Sync(t)
		require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, st.GetLastResult(), st.GetLastError())
		changes := h.Changes()
		require.Equal(t, w.users, providertest.Upserted(changes, userRec), "upserted users")
		require.Equal(t, w.groups, providertest.Upserted(changes, groupRec), "upserted groups")
		require.Equal(t, w.deletedUsers, providertest.Deleted(changes, userRec), "deleted users")
		require.Equal(t, w.deletedGroups, providertest.Deleted(changes, groupRec), "deleted groups")
		require.Equal(t, w.requests, f.requests.Reset(), "requests")
	}
	groupsOf := func(id string) []string { return h.Users(t)[id].GetEffectiveGroupIds() }
	filters := map[string]int{"users": 1, "groups": 1}
	full := func(t *testing.T, w want) {
		t.Helper()
		f.requests.Reset()
		h.SyncFull(t)
		changes := h.Changes()
		require.Equal(t, w.users, providertest.Upserted(changes, userRec), "upserted users")
		require.Equal(t, w.deletedUsers, providertest.Deleted(changes, userRec), "deleted users")
		require.Equal(t, w.deletedGroups, providertest.Deleted(changes, groupRec), "deleted groups")
		require.Equal(t, w.requests, f.requests.Reset(), "requests")
	}

	t.Run("no change", func(t *testing.T) {
		step(t, want{requests: filters})
	})
	t.Run("add user", func(t *testing.T) {
		f.addUser("00u4", "ACTIVE", "00g2")
		step(t, want{users: []string{"00u4"}, requests: map[string]int{"users": 1, "groups": 1, "group members": 1}})
		require.Equal(t, []string{"00g2"}, groupsOf("00u4"))
		require.Equal(t, []string{"00g1", "00g2"}, groupsOf("00u2"))
	})
	t.Run("suspend user", func(t *testing.T) {
		f.setStatus("00u1", "SUSPENDED")
		step(t, want{users: []string{"00u1"}, requests: filters})
		u := h.Users(t)["00u1"]
		require.Equal(t, dirsyncv1.UserState_USER_STATE_SUSPENDED, u.GetState())
		require.Equal(t, []string{"00g1"}, u.GetGroupIds())
	})
	t.Run("rename group", func(t *testing.T) {
		f.renameGroup("00g1", "Platform Engineering")
		step(t, want{groups: []string{"00g1"}, requests: filters})
		require.Equal(t, "Platform Engineering", h.Groups(t)["00g1"].GetName())
		require.Equal(t, []string{"00g1"}, groupsOf("00u1"))
	})
	t.Run("add member", func(t *testing.T) {
		f.addMember("00g2", "00u1")
		step(t, want{users: []string{"00u1"}, requests: map[string]int{"users": 1, "groups": 1, "group members": 1}})
		require.Equal(t, []string{"00g1", "00g2"}, groupsOf("00u1"))
	})
	t.Run("remove member", func(t *testing.T) {
		// 00u2 is in no listing of this run: it is looked up by id.
		f.removeMember("00g1", "00u2")
		step(t, want{users: []string{"00u2"}, requests: map[string]int{"users": 2, "groups": 1, "group members": 1}})
		require.Equal(t, []string{"00g2"}, groupsOf("00u2"))
	})
	t.Run("change visible late", func(t *testing.T) {
		// A change stamped half a minute before the last run's watermark, visible only
		// now, is caught by the overlap.
		f.editLate("00u3", "Late", 30*time.Second)
		step(t, want{users: []string{"00u3"}, requests: filters})
		require.Equal(t, "Late", h.Users(t)["00u3"].GetGivenName())
	})
	t.Run("delete group: 404 on the member read", func(t *testing.T) {
		// 00g2 changes, then is deleted between the group listing and its member read.
		f.deleteGroupDuringRun("00g2", "00u4")
		step(t, want{users: []string{"00u1", "00u2", "00u4"}, deletedGroups: []string{"00g2"},
			requests: map[string]int{"users": 2, "groups": 1, "group members": 1}})
		require.Equal(t, []string{"00g1"}, groupsOf("00u1"))
		require.Empty(t, groupsOf("00u2"))
		require.Empty(t, groupsOf("00u4"))
	})
	t.Run("delete user: deactivation", func(t *testing.T) {
		f.setStatus("00u3", "DEPROVISIONED")
		step(t, want{deletedUsers: []string{"00u3"}, requests: filters})
	})
	t.Run("delete user: gone from its group", func(t *testing.T) {
		f.addUser("00u5", "ACTIVE", "00g1")
		step(t, want{users: []string{"00u5"}, requests: map[string]int{"users": 1, "groups": 1, "group members": 1}})
		f.deleteUser("00u5")
		step(t, want{deletedUsers: []string{"00u5"}, requests: map[string]int{"users": 2, "groups": 1, "group members": 1}})
		require.Equal(t, []string{"00g1"}, groupsOf("00u1"))
	})
	t.Run("delete group and user: full sync", func(t *testing.T) {
		f.deleteGroup("00g1") // Okta's filters do not show deletions
		f.deleteUser("00u4")  // in no group
		step(t, want{requests: filters})
		require.Contains(t, h.Groups(t), "00g1")
		// The periodic full sync (full_sync_interval) finds both gone.
		full(t, want{users: []string{"00u1"}, deletedUsers: []string{"00u4"}, deletedGroups: []string{"00g1"},
			requests: map[string]int{"users": 1, "groups": 1}})
		require.Empty(t, groupsOf("00u1"))
		require.Empty(t, h.Groups(t))
		// Incremental again afterwards.
		step(t, want{requests: filters})
	})
}

// TestIncrementalAfterRestart: a process that does not hold the cursor's membership index
// (restarted, or taking over from another replica) rebuilds it from the stored users and
// goes on incrementally; the groups of a user the store does not hold (deactivated, now
// back) are looked up by user.
func TestIncrementalAfterRestart(t *testing.T) {
	f := newFakeOkta(t)
	f.addGroup("00g1", "Engineering", "")
	f.addGroup("00g2", "Sales", "")
	f.addGroup("00g3", "Support", "")
	f.addGroup("00g4", "Alumni", "")
	f.addUser("00u1", "ACTIVE", "00g1")
	f.addUser("00u2", "ACTIVE", "00g1", "00g2")
	f.addUser("00u3", "ACTIVE", "00g3")
	f.addUser("00u9", "DEPROVISIONED", "00g3", "00g4") // Okta keeps it in its groups
	p := newTest(t, f, tokenAuth(f))
	h := providertest.Start(t, p)
	require.Equal(t, []string{"00u1", "00u2", "00u3"}, providertest.Upserted(h.Changes(), userRec))
	groupsOf := func(id string) []string { return h.Users(t)[id].GetGroupIds() }

	p.mem.forget() // a restart
	f.requests.Reset()
	f.addMember("00g2", "00u1")    // a known user joins
	f.removeMember("00g1", "00u2") // a known user leaves; in no other listing
	f.setStatus("00u9", "ACTIVE")  // back, in the groups it never left
	f.addUser("00u4", "ACTIVE")    // new, in no group
	f.addUser("00u5", "ACTIVE", "00g3")
	st := h.Sync(t)
	require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, st.GetLastResult(), st.GetLastError())
	require.False(t, st.GetLastFull())
	changes := h.Changes()
	require.Equal(t, []string{"00u1", "00u2", "00u4", "00u5", "00u9"}, providertest.Upserted(changes, userRec))
	require.Empty(t, providertest.Deleted(changes, userRec))
	require.Equal(t, []string{"00g1", "00g2"}, groupsOf("00u1"))
	require.Equal(t, []string{"00g2"}, groupsOf("00u2"))
	require.Equal(t, []string{"00g3"}, groupsOf("00u3"))
	require.Empty(t, groupsOf("00u4"))
	require.Equal(t, []string{"00g3"}, groupsOf("00u5"))
	require.Equal(t, []string{"00g3", "00g4"}, groupsOf("00u9"), "00g4 did not change: looked up by user")
	// The members of every changed group are read (the rebuilt index has no
	// lastMembershipUpdated), and the groups of the users the store did not hold (00u4,
	// 00u5, 00u9) are read by user.
	require.Equal(t, map[string]int{"users": 1, "groups": 1, "group members": 3, "user groups": 3}, f.requests.Reset())

	// The index now knows 00u9: it leaving a group is a plain delta.
	f.removeMember("00g3", "00u9")
	h.Sync(t)
	require.Equal(t, []string{"00u9"}, providertest.Upserted(h.Changes(), userRec))
	require.Equal(t, []string{"00g4"}, groupsOf("00u9"))
	require.Equal(t, map[string]int{"users": 2, "groups": 1, "group members": 1}, f.requests.Reset())

	// A full sync agrees with what the deltas built.
	before := h.Users(t)
	h.SyncFull(t)
	require.Empty(t, h.Changes())
	require.Equal(t, len(before), len(h.Users(t)))
}

// TestCursor checks which cursors a provider accepts: those of the results it handed out
// last and before (a result the syncer did not store), not unknown or garbled ones.
func TestCursor(t *testing.T) {
	f := newFakeOkta(t)
	f.addGroup("00g1", "Engineering", "")
	f.addUser("00u1", "ACTIVE", "00g1")
	f.addUser("00u2", "ACTIVE")
	p := newTest(t, f, tokenAuth(f))
	a := syncOnce(t, p, nil).Cursor

	f.addMember("00g1", "00u2")
	first := syncOnce(t, p, a)
	require.False(t, first.Full)
	require.Equal(t, []string{"00u2"}, providertest.IDs(first.Users))
	require.Equal(t, []string{"00g1"}, first.Users[0].GroupIds)

	// The syncer did not store first: the same cursor gives the same delta again.
	again := syncOnce(t, p, a)
	require.Equal(t, providertest.IDs(first.Users), providertest.IDs(again.Users))
	require.Equal(t, first.Users[0].GroupIds, again.Users[0].GroupIds)

	for name, c := range map[string][]byte{"superseded": first.Cursor, "garbled": []byte("{"), "foreign": []byte(`{"v":9}`)} {
		_, err := p.Sync(context.Background(), c)
		require.ErrorIs(t, err, providers.ErrCursorExpired, name)
	}
	res := syncOnce(t, p, again.Cursor)
	require.True(t, res.Unchanged)
	require.Equal(t, again.Cursor, res.Cursor)
}
