package entra

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/providertest"
)

// TestIncremental runs changes of the tenant through the real syncer and checks what
// reaches a Sync subscriber after each delta run.
func TestIncremental(t *testing.T) {
	f := newFakeEntra(t)
	seed(f)
	h := providertest.Start(t, newTestProvider(t, f.options()))
	first := h.Changes()
	require.Equal(t, []string{"u1", "u2", "u3"}, providertest.Upserted(first, userType))
	require.Equal(t, []string{"g1", "g2"}, providertest.Upserted(first, groupType))
	require.Equal(t, []string{"g1", "g2"}, h.Users(t)["u2"].GetGroupIds())

	type want struct {
		users, groups, deletedUsers, deletedGroups []string
	}
	steps := []struct {
		name   string
		change func()
		want   want
		check  func(t *testing.T, users map[string]*dirsyncv1.User, groups map[string]*dirsyncv1.Group)
	}{
		{"add user", func() { f.putUser("u4", user("u4", true)) }, want{users: []string{"u4"}},
			func(t *testing.T, users map[string]*dirsyncv1.User, _ map[string]*dirsyncv1.Group) {
				require.Equal(t, "u4@contoso.com", users["u4"].GetEmail())
				require.Equal(t, dirsyncv1.UserState_USER_STATE_ACTIVE, users["u4"].GetState())
			}},
		{"suspend user", func() { f.setUser("u1", map[string]any{"accountEnabled": false}) }, want{users: []string{"u1"}},
			func(t *testing.T, users map[string]*dirsyncv1.User, _ map[string]*dirsyncv1.Group) {
				require.Equal(t, dirsyncv1.UserState_USER_STATE_SUSPENDED, users["u1"].GetState())
				require.Equal(t, []string{"g1"}, users["u1"].GetGroupIds())
				require.Equal(t, "u1@contoso.com", users["u1"].GetEmail())
			}},
		{"rename group", func() { f.putGroup("g1", map[string]any{"displayName": "Engineering"}) }, want{groups: []string{"g1"}},
			func(t *testing.T, _ map[string]*dirsyncv1.User, groups map[string]*dirsyncv1.Group) {
				require.Equal(t, "Engineering", groups["g1"].GetName())
				require.Equal(t, "g1 team", groups["g1"].GetDescription())
			}},
		{"add member", func() { f.addMember("g2", "u4", "user") }, want{users: []string{"u4"}},
			func(t *testing.T, users map[string]*dirsyncv1.User, _ map[string]*dirsyncv1.Group) {
				require.Equal(t, []string{"g2"}, users["u4"].GetGroupIds())
				require.Equal(t, "u4", users["u4"].GetDisplayName()) // the record is whole
			}},
		{"remove member", func() { f.removeMember("g1", "u2") }, want{users: []string{"u2"}},
			func(t *testing.T, users map[string]*dirsyncv1.User, _ map[string]*dirsyncv1.Group) {
				require.Equal(t, []string{"g2"}, users["u2"].GetGroupIds())
			}},
		{"add nested group", func() {
			f.putGroup("g3", group("g3"))
			f.addMember("g3", "u3", "user")
			f.addMember("g1", "g3", "group")
		}, want{users: []string{"u3"}, groups: []string{"g3"}},
			func(t *testing.T, users map[string]*dirsyncv1.User, groups map[string]*dirsyncv1.Group) {
				require.Equal(t, []string{"g1"}, groups["g3"].GetGroupIds())
				require.Equal(t, []string{"g2", "g3"}, users["u3"].GetGroupIds())
				require.Equal(t, []string{"g1", "g2", "g3"}, users["u3"].GetEffectiveGroupIds())
			}},
		{"delete group", func() { f.deleteGroup("g2") }, want{users: []string{"u2", "u3", "u4"}, deletedGroups: []string{"g2"}},
			func(t *testing.T, users map[string]*dirsyncv1.User, groups map[string]*dirsyncv1.Group) {
				require.Empty(t, users["u2"].GetGroupIds())
				require.Equal(t, []string{"g3"}, users["u3"].GetGroupIds())
				require.NotContains(t, groups, "g2")
			}},
		{"delete user", func() { f.deleteUser("u4") }, want{deletedUsers: []string{"u4"}},
			func(t *testing.T, users map[string]*dirsyncv1.User, _ map[string]*dirsyncv1.Group) {
				require.NotContains(t, users, "u4")
				require.Len(t, users, 3)
			}},
		{"no change", func() {}, want{}, nil},
	}
	for _, step := range steps {
		step.change()
		f.resetCounts()
		st := h.Sync(t)
		require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, st.GetLastResult(), "%s: %s", step.name, st.GetLastError())
		require.False(t, st.GetLastFull(), step.name)
		ch := h.Changes()
		got := want{providertest.Upserted(ch, userType), providertest.Upserted(ch, groupType),
			providertest.Deleted(ch, userType), providertest.Deleted(ch, groupType)}
		require.Equal(t, step.want, got, step.name)
		require.Equal(t, 1, f.requests.Count("users"), step.name)
		require.Equal(t, 1, f.requests.Count("groups"), step.name)
		if step.check != nil {
			step.check(t, h.Users(t), h.Groups(t))
		}
	}
}

// TestExpiredDeltaToken: each way Graph refuses a delta token makes the syncer run a full
// round at once, which applies the changes; the next run is a delta again.
func TestExpiredDeltaToken(t *testing.T) {
	tests := []struct {
		name   string
		status int
		code   string
	}{
		{"syncStateNotFound", http.StatusBadRequest, "syncStateNotFound"},
		{"gone", http.StatusGone, "syncStateInvalid"},
		{"resyncRequired", http.StatusBadRequest, "resyncRequired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeEntra(t)
			seed(f)
			h := providertest.Start(t, newTestProvider(t, f.options()))
			h.Changes()
			f.expire(tt.status, tt.code)
			f.setUser("u1", map[string]any{"displayName": "Alice"})
			f.deleteUser("u3")
			st := h.Sync(t)
			require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, st.GetLastResult(), st.GetLastError())
			require.True(t, st.GetLastFull())
			ch := h.Changes()
			require.Equal(t, []string{"u1"}, providertest.Upserted(ch, userType))
			require.Equal(t, []string{"u3"}, providertest.Deleted(ch, userType))
			require.Equal(t, "Alice", h.Users(t)["u1"].GetDisplayName())

			f.expire(0, "")
			f.setUser("u2", map[string]any{"surname": "Smith"})
			st = h.Sync(t)
			require.False(t, st.GetLastFull())
			require.Equal(t, []string{"u2"}, providertest.Upserted(h.Changes(), userType))
		})
	}
}

// TestNestedCycle: g1 ∋ g2 ∋ g3 ∋ g1 (a cycle Entra's API allows to be read) and the
// syncer's effective_group_ids.
func TestNestedCycle(t *testing.T) {
	f := newFakeEntra(t)
	f.putUser("u1", user("u1", true))
	f.putUser("u2", user("u2", true))
	for _, g := range []string{"g1", "g2", "g3", "g4"} {
		f.putGroup(g, group(g))
	}
	f.addMember("g1", "g2", "group")
	f.addMember("g2", "g3", "group")
	f.addMember("g3", "g1", "group")
	f.addMember("g3", "u1", "user")
	f.addMember("g4", "u2", "user")
	h := providertest.Start(t, newTestProvider(t, f.options()))
	users, groups := h.Users(t), h.Groups(t)
	require.Equal(t, []string{"g3"}, users["u1"].GetGroupIds())
	require.Equal(t, []string{"g1", "g2", "g3"}, users["u1"].GetEffectiveGroupIds())
	require.Equal(t, []string{"g4"}, users["u2"].GetEffectiveGroupIds())
	require.Equal(t, []string{"g3"}, groups["g1"].GetGroupIds())
	require.Equal(t, []string{"g1"}, groups["g2"].GetGroupIds())
	require.Equal(t, []string{"g1", "g3"}, groups["g2"].GetEffectiveGroupIds()) // the syncer leaves a group out of its own

	// Nesting g4 into g2 by a delta gives u2 the whole cycle.
	f.addMember("g2", "g4", "group")
	h.Sync(t)
	require.Equal(t, []string{"g1", "g2", "g3", "g4"}, h.Users(t)["u2"].GetEffectiveGroupIds())

	// Deleting g3 breaks the cycle: g1 loses its parent, u1 its only group.
	f.deleteGroup("g3")
	h.Sync(t)
	ch := h.Changes()
	require.Equal(t, []string{"g3"}, providertest.Deleted(ch, groupType))
	users, groups = h.Users(t), h.Groups(t)
	require.Empty(t, groups["g1"].GetGroupIds())
	require.Empty(t, users["u1"].GetGroupIds())
	require.Empty(t, users["u1"].GetEffectiveGroupIds())
	require.Equal(t, []string{"g1", "g2", "g4"}, users["u2"].GetEffectiveGroupIds())
}

func TestServicePrincipals(t *testing.T) {
	f := newFakeEntra(t)
	seed(f)
	f.putServicePrincipal("sp1", map[string]any{"displayName": "deploy-bot", "appId": "0f1e2d3c-app",
		"accountEnabled": true, "servicePrincipalType": "Application"})
	f.addMember("g1", "sp1", "servicePrincipal")
	f.addMember("g1", "device1", "device")

	res, err := newTestProvider(t, f.options()).Sync(context.Background(), nil)
	require.NoError(t, err)
	require.Len(t, res.Users, 3) // not asked for service principals
	require.Zero(t, f.requests.Count("servicePrincipals"))

	o := f.options()
	o.IncludeServicePrincipals = true
	p := newTestProvider(t, o)
	res, err = p.Sync(context.Background(), nil)
	require.NoError(t, err)
	require.Len(t, res.Users, 4)
	sp := res.Users[0] // sorted by id
	require.Equal(t, "sp1", sp.GetId())
	require.Equal(t, "0f1e2d3c-app", sp.GetUsername())
	require.Equal(t, []string{"g1"}, sp.GetGroupIds())
	require.Equal(t, "servicePrincipal", sp.GetAttributes().GetFields()["object_type"].GetStringValue())

	f.putServicePrincipal("sp1", map[string]any{"displayName": "deploy-bot", "appId": "0f1e2d3c-app", "accountEnabled": false})
	res, err = p.Sync(context.Background(), res.Cursor)
	require.NoError(t, err)
	require.False(t, res.Full)
	require.Len(t, res.Users, 1)
	require.Equal(t, dirsyncv1.UserState_USER_STATE_SUSPENDED, res.Users[0].GetState())
	require.Equal(t, []string{"g1"}, res.Users[0].GetGroupIds())
}

// TestGuestUser: a guest without mail gets the address of its user principal name.
func TestGuestUser(t *testing.T) {
	f := newFakeEntra(t)
	f.putUser("guest1", map[string]any{"displayName": "Alice (Example)", "accountEnabled": true,
		"userPrincipalName": "alice_example.com#EXT#@contoso.onmicrosoft.com"})
	res, err := newTestProvider(t, f.options()).Sync(context.Background(), nil)
	require.NoError(t, err)
	require.Equal(t, "alice@example.com", res.Users[0].GetEmail())
	require.Equal(t, "alice_example.com#EXT#@contoso.onmicrosoft.com", res.Users[0].GetUsername())
}

// TestUnchanged: a round that finds nothing answers Unchanged and keeps the cursor, until
// the saved deltaLinks are a day old: then it returns an empty delta with the new links.
func TestUnchanged(t *testing.T) {
	f := newFakeEntra(t)
	seed(f)
	p := newTestProvider(t, f.options())
	first, err := p.Sync(context.Background(), nil)
	require.NoError(t, err)
	res, err := p.Sync(context.Background(), first.Cursor)
	require.NoError(t, err)
	require.Equal(t, &providers.Result{Unchanged: true, Cursor: first.Cursor}, res)

	c, err := decodeCursor(first.Cursor)
	require.NoError(t, err)
	c.Issued = time.Now().Add(-25 * time.Hour)
	old, err := c.encode()
	require.NoError(t, err)
	res, err = p.Sync(context.Background(), old)
	require.NoError(t, err)
	require.False(t, res.Unchanged)
	require.False(t, res.Full)
	require.Empty(t, res.Users)
	require.Empty(t, res.Groups)
	next, err := decodeCursor(res.Cursor)
	require.NoError(t, err)
	require.WithinDuration(t, time.Now(), next.Issued, time.Minute)
	require.Equal(t, c.State, next.State)
}
