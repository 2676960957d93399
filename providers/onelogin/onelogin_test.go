package onelogin

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/apiclient"
	"github.com/dirsync/dirsync/providers/providertest"
)

var fast = tuning{minRetryDelay: time.Millisecond}

func newTestProvider(t testing.TB, o Options, tu tuning) *provider {
	t.Helper()
	p, err := newProvider(o, providers.Deps{Directory: "test"}, tu)
	require.NoError(t, err)
	return p
}

func TestOptions(t *testing.T) {
	typ := providertest.Type(t, Register, "onelogin")
	opt, _ := typ.Option("client_secret")
	require.True(t, opt.Secret && opt.Required)
	opt, _ = typ.Option("url")
	require.Equal(t, "https://api.us.onelogin.com", opt.Default)
	opt, _ = typ.Option("group_source")
	require.Equal(t, "groups", opt.Default)

	tests := []providertest.OptionsCase{
		{Name: "missing client_id", Options: "{client_secret: topsecret}", WantErr: `option "client_id": required`},
		{Name: "missing client_secret", Options: "{client_id: c}", WantErr: `option "client_secret": required`},
		{Name: "bad url", Options: "{client_id: c, client_secret: topsecret, url: 'api.us.onelogin.com'}", WantErr: `option "url": "api.us.onelogin.com" is not an API base URL`},
		{Name: "url with a path", Options: "{client_id: c, client_secret: topsecret, url: 'https://api.us.onelogin.com/api/2'}", WantErr: `option "url"`},
		{Name: "bad group_source", Options: "{client_id: c, client_secret: topsecret, group_source: organizations}", WantErr: `option "group_source": "organizations" is not groups or roles`},
		{Name: "defaults", Options: "{client_id: c, client_secret: topsecret}"},
		{Name: "eu roles", Options: "{client_id: c, client_secret: topsecret, url: 'https://api.eu.onelogin.com', group_source: roles}"},
		{Name: "subdomain", Options: "{client_id: c, client_secret: topsecret, url: 'https://acme.onelogin.com/'}"},
	}
	providertest.CheckOptions(t, typ, tests, "topsecret")
}

// TestSyncGroups reads users (three cursor pages) and v1 groups (three pages) and gives
// each user its one group.
func TestSyncGroups(t *testing.T) {
	f := newFake(t)
	f.groupsPerPage = 2
	f.groups = []fakeGroup{{ID: 1, Name: "Engineering"}, {ID: 2, Name: "Sales"}, {ID: 3, Name: "Design"}, {ID: 4, Name: "Ops"}, {ID: 5, Name: "Legal"}}
	f.users = []fakeUser{
		{ID: 101, Email: "ada@example.com", First: "Ada", Last: "Lovelace", Status: 1, State: 1, GroupID: 1},
		{ID: 102, Email: "bob@example.com", First: "Bob", Status: 2, State: 1, GroupID: 2},
		{ID: 103, Email: "cy@example.com", Status: 7, State: 1},
		{ID: 104, Email: "di@example.com", First: "Di", Status: 1, State: 1, GroupID: 99}, // a group created after the group read
		{ID: 105, Email: "ed@example.com", First: "Ed", Status: 4, State: 1, GroupID: 5},
	}
	p := newTestProvider(t, f.options(), tuning{pageSize: 2, minRetryDelay: time.Millisecond})
	res := providertest.FullSync(t, p)
	users := providertest.ByID(res.Users)
	require.Len(t, users, 5)
	ada := users["101"]
	require.Equal(t, "ada@example.com", ada.GetEmail())
	require.Equal(t, "Ada Lovelace", ada.GetDisplayName())
	require.Equal(t, "ada", ada.GetUsername())
	require.Equal(t, "Ada", ada.GetGivenName())
	require.Equal(t, "Lovelace", ada.GetFamilyName())
	require.Equal(t, dirsyncv1.UserState_USER_STATE_ACTIVE, ada.GetState())
	require.Equal(t, []string{"1"}, ada.GetGroupIds())
	require.Equal(t, float64(1), ada.GetAttributes().GetFields()["status"].GetNumberValue())
	require.Equal(t, dirsyncv1.UserState_USER_STATE_SUSPENDED, users["102"].GetState())
	require.Equal(t, dirsyncv1.UserState_USER_STATE_PENDING, users["103"].GetState())
	require.Equal(t, "cy", users["103"].GetDisplayName(), "the username when there is no name")
	require.Empty(t, users["103"].GetGroupIds())
	require.Empty(t, users["104"].GetGroupIds(), "unknown groups are dropped")
	require.Len(t, res.Groups, 5)
	require.Equal(t, "Engineering", res.Groups[0].GetName())

	require.Equal(t, 1, f.counts.Count("token"))
	require.Equal(t, 3, f.counts.Count("users"), "5 users, 2 per page")
	require.Equal(t, 3, f.counts.Count("groups"), "5 groups, 2 per page")
	require.Zero(t, f.counts.Count("roles"))
}

// TestSyncRoles uses the role_ids the user listing carries: no per-role requests.
func TestSyncRoles(t *testing.T) {
	f := newFake(t)
	f.populate(5, 5)
	o := f.options()
	o.GroupSource = "roles"
	p := newTestProvider(t, o, tuning{pageSize: 2, minRetryDelay: time.Millisecond})
	res, err := p.Sync(context.Background(), nil)
	require.NoError(t, err)
	require.Len(t, res.Groups, 5)
	require.Equal(t, "Role 0", res.Groups[0].GetName())
	require.Equal(t, []string{"700000", "700001", "700002"}, providertest.ByID(res.Users)["50000000"].GetGroupIds(), "roles 0, 1 and 7%5")
	require.Equal(t, 3, f.counts.Count("users"))
	require.Equal(t, 3, f.counts.Count("roles"), "5 roles, 2 per page")
	require.Zero(t, f.counts.Count("role members"))
	require.Zero(t, f.counts.Count("groups"))
}

// TestSyncRolesWithoutRoleIDs: a user listing without role_ids falls back to each role's
// user list (three pages for the biggest role).
func TestSyncRolesWithoutRoleIDs(t *testing.T) {
	f := newFake(t)
	f.populate(6, 2)
	f.omitRoleIDs = true
	o := f.options()
	o.GroupSource = "roles"
	p := newTestProvider(t, o, tuning{pageSize: 2, minRetryDelay: time.Millisecond})
	res, err := p.Sync(context.Background(), nil)
	require.NoError(t, err)
	users := providertest.ByID(res.Users)
	require.Equal(t, []string{"700000", "700001"}, users["50000000"].GetGroupIds())
	require.Equal(t, []string{"700000", "700001"}, users["50000005"].GetGroupIds())
	require.Equal(t, 3+3, f.counts.Count("role members"), "each role has all 6 users: 3 pages of 2")
}

func TestUserState(t *testing.T) {
	n := func(i int) *int { return &i }
	tests := []struct {
		status, state *int
		want          dirsyncv1.UserState
	}{
		{n(1), n(1), dirsyncv1.UserState_USER_STATE_ACTIVE},
		{n(4), n(1), dirsyncv1.UserState_USER_STATE_ACTIVE},
		{n(5), n(1), dirsyncv1.UserState_USER_STATE_ACTIVE},
		{n(8), n(1), dirsyncv1.UserState_USER_STATE_ACTIVE},
		{n(1), n(3), dirsyncv1.UserState_USER_STATE_ACTIVE},
		{n(0), n(1), dirsyncv1.UserState_USER_STATE_PENDING},
		{n(7), n(1), dirsyncv1.UserState_USER_STATE_PENDING},
		{n(1), n(0), dirsyncv1.UserState_USER_STATE_PENDING},
		{n(2), n(1), dirsyncv1.UserState_USER_STATE_SUSPENDED},
		{n(3), n(1), dirsyncv1.UserState_USER_STATE_SUSPENDED},
		{n(1), n(2), dirsyncv1.UserState_USER_STATE_SUSPENDED},
		{n(2), n(0), dirsyncv1.UserState_USER_STATE_SUSPENDED},
		{n(6), n(1), dirsyncv1.UserState_USER_STATE_UNSPECIFIED},
		{nil, nil, dirsyncv1.UserState_USER_STATE_UNSPECIFIED},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, userState(tt.status, tt.state), "status %v state %v", deref(tt.status), deref(tt.state))
	}
}

func deref(p *int) string {
	if p == nil {
		return "none"
	}
	return strconv.Itoa(*p)
}

// TestToken checks the token request against the fake (HTTP Basic, JSON body) and that
// expires_in sets the expiry.
func TestToken(t *testing.T) {
	f := newFake(t)
	f.expiresIn = 36000
	fetch := apiclient.JSONClientCredentials(f.srv.URL+"/auth/oauth2/v2/token", fakeClientID, fakeSecret)
	before := time.Now()
	tok, err := fetch(context.WithValue(context.Background(), oauth2.HTTPClient, f.srv.Client()))
	require.NoError(t, err)
	require.Equal(t, "tok"+"0000000000000000000000000000000000000001", tok.AccessToken)
	require.WithinRange(t, tok.Expiry, before.Add(36000*time.Second), time.Now().Add(36000*time.Second))

	bad := apiclient.JSONClientCredentials(f.srv.URL+"/auth/oauth2/v2/token", fakeClientID, "wrong")
	_, err = bad(context.Background())
	var re *oauth2.RetrieveError
	require.ErrorAs(t, err, &re)
	require.Equal(t, http.StatusUnauthorized, re.Response.StatusCode)
}

func TestTokenRejected(t *testing.T) {
	f := newFake(t)
	f.secret = "another"
	p := newTestProvider(t, f.options(), fast)
	_, err := p.Sync(context.Background(), nil)
	require.ErrorContains(t, err, "token request: HTTP 401 Unauthorized: Authentication Failure")
	require.NotContains(t, err.Error(), fakeSecret)
	require.Equal(t, 1, f.counts.Count("token"))
}

func TestTokenRenewedOnceAfter401(t *testing.T) {
	f := newFake(t)
	f.populate(6, 6)
	f.groupsPerPage = 2
	f.setFault(func(w http.ResponseWriter, endpoint string, n int) bool {
		if endpoint == "groups" && n == 2 {
			f.revoke()
		}
		return false
	})
	o := f.options()
	o.Options = apiclient.Options{MaxConcurrency: 1}
	p := newTestProvider(t, o, tuning{pageSize: 2, minRetryDelay: time.Millisecond})
	res, err := p.Sync(context.Background(), nil)
	require.NoError(t, err)
	require.Len(t, res.Groups, 6)
	require.Equal(t, 2, f.counts.Count("token"), "fetched again once after the 401")
	require.Equal(t, 3+1, f.counts.Count("groups"), "the refused page is repeated once")
}

// TestRateLimited: a 429 without Retry-After waits for X-RateLimit-Reset, which OneLogin
// gives as seconds left in the window.
func TestRateLimited(t *testing.T) {
	f := newFake(t)
	f.populate(5, 5)
	f.setFault(func(w http.ResponseWriter, endpoint string, n int) bool {
		if endpoint == "users" && n == 2 {
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", "1")
			v2Error(w, http.StatusTooManyRequests, "TooManyRequestsError", "Rate limit exceeded")
			return true
		}
		return false
	})
	p := newTestProvider(t, f.options(), tuning{pageSize: 2, minRetryDelay: time.Millisecond})
	start := time.Now()
	res, err := p.Sync(context.Background(), nil)
	require.NoError(t, err)
	require.Len(t, res.Users, 5)
	require.Equal(t, 4, f.counts.Count("users"), "three pages, the second twice")
	require.GreaterOrEqual(t, time.Since(start), 900*time.Millisecond, "the reset delay was honoured")
}

// TestFailedPageAppliesNothing: a 500 on page 2 of 3 of the users fails the run, changes
// nothing a subscriber sees, shows the error, and the next run applies.
func TestFailedPageAppliesNothing(t *testing.T) {
	f := newFake(t)
	f.populate(6, 2)
	p := newTestProvider(t, f.options(), tuning{pageSize: 2, minRetryDelay: time.Millisecond})
	h := providertest.Start(t, p)
	require.Len(t, h.Users(t), 6)
	require.Equal(t, []string{"400000"}, h.Users(t)["50000000"].GetEffectiveGroupIds())
	h.Changes()

	f.mu.Lock()
	f.users[0].GroupID = f.groups[1].ID
	f.mu.Unlock()
	f.setFault(func(w http.ResponseWriter, endpoint string, n int) bool {
		if endpoint == "users" && n >= 5 { // page 2 of the second run, and its retries
			v2Error(w, http.StatusInternalServerError, "InternalServerError", "Internal Server Error")
			return true
		}
		return false
	})
	st := h.SyncFails(t, "users: HTTP 500 InternalServerError: Internal Server Error")
	require.Equal(t, []string{"400000"}, h.Users(t)["50000000"].GetGroupIds())

	f.setFault(nil)
	st = h.Sync(t)
	require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, st.GetLastResult(), st.GetLastError())
	require.Equal(t, []string{"50000000"}, providertest.Upserted(h.Changes(), dirsyncv1.RecordType_RECORD_TYPE_USER))
	require.Equal(t, []string{"400001"}, h.Users(t)["50000000"].GetEffectiveGroupIds())
}

// TestRequestCount is the request-count assertion for a 5,000-user / 500-group
// account: one token, ceil(5000/1000) user pages, and ceil(500/50) v1 group pages — or,
// with group_source roles, ceil(500/1000) role pages, memberships coming with the users.
func TestRequestCount(t *testing.T) {
	tests := []struct {
		source string
		want   map[string]int
	}{
		{"groups", map[string]int{"token": 1, "users": 5, "groups": 10}},
		{"roles", map[string]int{"token": 1, "users": 5, "roles": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.source, func(t *testing.T) {
			f := newFake(t)
			f.populate(5000, 500)
			o := f.options()
			o.GroupSource = tt.source
			p := newTestProvider(t, o, fast)
			res, err := p.Sync(context.Background(), nil)
			require.NoError(t, err)
			require.Len(t, res.Users, 5000)
			require.Len(t, res.Groups, 500)
			total := 0
			for endpoint, n := range tt.want {
				require.Equal(t, n, f.counts.Count(endpoint), endpoint)
				total += n
			}
			require.Equal(t, total, f.counts.Total(), "no other requests")
		})
	}
}

func TestV1ErrorMessage(t *testing.T) {
	f := newFake(t)
	f.populate(2, 2)
	f.setFault(func(w http.ResponseWriter, endpoint string, n int) bool {
		if endpoint == "groups" {
			v1Error(w, http.StatusForbidden, "Forbidden", "Insufficient Permission")
			return true
		}
		return false
	})
	p := newTestProvider(t, f.options(), fast)
	_, err := p.Sync(context.Background(), nil)
	require.ErrorContains(t, err, "groups: HTTP 403 Forbidden: Insufficient Permission (GET "+f.srv.URL+"/api/1/groups)")
}
