package ping

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers/apiclient"
	"github.com/dirsync/dirsync/providers/providertest"
)

// fast shortens the client's retry delay so that tests of retries take milliseconds.
func fast(c *apiclient.Config) { c.MinRetryDelay = time.Millisecond }

func newTestProvider(t testing.TB, f *fakePing) *provider {
	t.Helper()
	p, err := newProvider(f.options(), "corp", fast)
	require.NoError(t, err)
	return p
}

func TestOptions(t *testing.T) {
	typ := providertest.Type(t, Register, "ping")
	secret, ok := typ.Option("client_secret")
	require.True(t, ok)
	require.True(t, secret.Secret)
	require.True(t, secret.Required)
	authURL, _ := typ.Option("auth_url")
	require.Equal(t, defaultAuthURL, authURL.Default)
	apiURL, _ := typ.Option("api_url")
	require.Equal(t, defaultAPIURL, apiURL.Default)

	tests := []providertest.OptionsCase{
		{Name: "missing environment", Options: "{client_id: a, client_secret: b}", WantErr: `option "environment_id": required`},
		{Name: "missing client id", Options: "{environment_id: e, client_secret: b}", WantErr: `option "client_id": required`},
		{Name: "missing secret", Options: "{environment_id: e, client_id: a}", WantErr: `option "client_secret": required`},
		{Name: "bad api url", Options: "{environment_id: e, client_id: a, client_secret: hunter2, api_url: 'api.pingone.eu'}", WantErr: `option "api_url"`},
		{Name: "bad auth url", Options: "{environment_id: e, client_id: a, client_secret: hunter2, auth_url: 'ftp://auth.pingone.eu'}", WantErr: `option "auth_url"`},
		{Name: "bad environment", Options: "{environment_id: 'a/b', client_id: a, client_secret: hunter2}", WantErr: `option "environment_id"`},
		{Name: "unknown option", Options: "{environment_id: e, client_id: a, client_secret: b, region: eu}", WantErr: `unknown option "region"`},
		{Name: "valid, EU region", Options: "{environment_id: e, client_id: a, client_secret: hunter2, auth_url: 'https://auth.pingone.eu', api_url: 'https://api.pingone.eu'}"},
	}
	providertest.CheckOptions(t, typ, tests, "hunter2")
}

func TestSyncReadsUsersGroupsAndNesting(t *testing.T) {
	f := newFake(t)
	f.groups = []fakeGroup{{ID: "g-eng", Name: "Engineering", Description: "all engineers"}, {ID: "g-sre", Name: "SRE"}}
	f.parents["g-sre"] = []string{"g-eng"}
	f.users = []fakeUser{
		{ID: "u-1", Username: "ada", Email: "ada@example.com", Given: "Ada", Family: "Lovelace", Enabled: true,
			Groups: []string{"g-sre", "g-eng", "g-deleted-meanwhile"}},
		{ID: "u-2", Username: "bob", Email: "bob@example.com", Enabled: false},
	}
	res := providertest.FullSync(t, newTestProvider(t, f))

	require.Len(t, res.Users, 2)
	ada, bob := res.Users[0], res.Users[1]
	require.Equal(t, "u-1", ada.GetId())
	require.Equal(t, "ada@example.com", ada.GetEmail())
	require.Equal(t, "ada", ada.GetUsername())
	require.Equal(t, "Ada Lovelace", ada.GetDisplayName())
	require.Equal(t, "Ada", ada.GetGivenName())
	require.Equal(t, "Lovelace", ada.GetFamilyName())
	require.Equal(t, dirsyncv1.UserState_USER_STATE_ACTIVE, ada.GetState())
	require.Equal(t, []string{"g-eng", "g-sre"}, ada.GetGroupIds(), "sorted, unknown groups dropped")
	require.Equal(t, "pop-1", ada.GetAttributes().GetFields()["population_id"].GetStringValue())
	require.Equal(t, dirsyncv1.UserState_USER_STATE_SUSPENDED, bob.GetState())
	require.Equal(t, "bob", bob.GetDisplayName())
	require.Empty(t, bob.GetGroupIds())

	require.Len(t, res.Groups, 2)
	require.Equal(t, "g-eng", res.Groups[0].GetId())
	require.Equal(t, "Engineering", res.Groups[0].GetName())
	require.Equal(t, "all engineers", res.Groups[0].GetDescription())
	require.Empty(t, res.Groups[0].GetGroupIds())
	require.Equal(t, []string{"g-eng"}, res.Groups[1].GetGroupIds())
	require.Equal(t, 1, f.counts.Count("token"))
}

func TestUserState(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		name               string
		enabled            *bool
		account, lifecycle string
		want               dirsyncv1.UserState
	}{
		{"enabled", &yes, "OK", "ACCOUNT_OK", dirsyncv1.UserState_USER_STATE_ACTIVE},
		{"no enabled field", nil, "", "", dirsyncv1.UserState_USER_STATE_ACTIVE},
		{"disabled", &no, "OK", "ACCOUNT_OK", dirsyncv1.UserState_USER_STATE_SUSPENDED},
		{"locked", &yes, "LOCKED", "ACCOUNT_OK", dirsyncv1.UserState_USER_STATE_SUSPENDED},
		{"verification required", &yes, "OK", "VERIFICATION_REQUIRED", dirsyncv1.UserState_USER_STATE_PENDING},
		{"disabled wins over pending", &no, "OK", "VERIFICATION_REQUIRED", dirsyncv1.UserState_USER_STATE_SUSPENDED},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := user{Enabled: tt.enabled}
			u.Account.Status, u.Lifecycle.Status = tt.account, tt.lifecycle
			require.Equal(t, tt.want, u.state())
		})
	}
}

func TestWrongSecretFailsWithoutLeakingIt(t *testing.T) {
	f := newFake(t)
	o := f.options()
	o.ClientSecret = "not-the-secret"
	p, err := newProvider(o, "corp", fast)
	require.NoError(t, err)
	_, err = p.Sync(context.Background(), nil)
	var te *apiclient.TokenError
	require.ErrorAs(t, err, &te)
	require.ErrorContains(t, err, "HTTP 401 invalid_client")
	require.NotContains(t, err.Error(), "not-the-secret")
	require.Equal(t, 1, f.counts.Count("token"), "a wrong credential is not retried")
}

func TestExpiredTokenIsFetchedAgainOnce(t *testing.T) {
	f := newFake(t)
	f.directory(450, 3)
	f.setFail(func(endpoint string, page int) (int, http.Header, string) {
		if endpoint == "users" && page == 2 {
			f.fail = nil // runs under f.mu
			clear(f.tokens)
		}
		return 0, nil, ""
	})
	res := providertest.FullSync(t, newTestProvider(t, f))
	require.Len(t, res.Users, 450)
	require.Equal(t, 2, f.counts.Count("token"), "one token, then one more after the 401")
	require.Equal(t, 4, f.counts.Count("users"), "3 pages and the retry of page 2")
}

func TestPaginationAcrossThreePages(t *testing.T) {
	f := newFake(t)
	f.directory(450, 2050)             // users: 200+200+50; groups: 1000+1000+50
	parents := make([]string, 0, 2049) // g-00000 is nested in every other group: 3 pages
	for _, g := range f.groups[1:] {
		parents = append(parents, g.ID)
	}
	f.parents["g-00000"] = parents
	res := providertest.FullSync(t, newTestProvider(t, f))

	require.Len(t, res.Users, 450)
	require.Len(t, res.Groups, 2050)
	require.Equal(t, "u-00449", res.Users[449].GetId())
	require.Equal(t, []string{"g-00449", "g-00450"}, res.Users[449].GetGroupIds())
	require.Equal(t, parents, res.Groups[0].GetGroupIds())
	require.Equal(t, 3, f.counts.Count("users"))
	require.Equal(t, 3, f.counts.Count("groups"))
	require.Equal(t, 2050+2, f.counts.Count("group nestings"), "one listing per group, three pages for g-00000")
}

func TestRateLimitRetryAfter(t *testing.T) {
	f := newFake(t)
	f.directory(10, 2)
	limited := 0
	f.setFail(func(endpoint string, page int) (int, http.Header, string) {
		if endpoint == "groups" && limited == 0 {
			limited++
			return http.StatusTooManyRequests, http.Header{"Retry-After": {"1"}},
				`{"id":"x","code":"REQUEST_LIMITED","message":"The request was rate limited."}`
		}
		return 0, nil, ""
	})
	start := time.Now()
	res := providertest.FullSync(t, newTestProvider(t, f))
	require.Len(t, res.Users, 10)
	require.Equal(t, 2, f.counts.Count("groups"))
	require.GreaterOrEqual(t, time.Since(start), time.Second, "Retry-After was honoured")
}

func TestErrorBodyIsReported(t *testing.T) {
	f := newFake(t)
	f.directory(10, 2)
	f.setFail(func(endpoint string, _ int) (int, http.Header, string) {
		if endpoint == "users" {
			return http.StatusForbidden, nil, `{"id":"x","code":"ACCESS_FAILED","message":"The request could not be completed. You do not have access to this resource."}`
		}
		return 0, nil, ""
	})
	_, err := newTestProvider(t, f).Sync(context.Background(), nil)
	require.ErrorContains(t, err, "users: HTTP 403 ACCESS_FAILED: The request could not be completed. You do not have access to this resource.")
}

func TestFailedPageAppliesNothingThenRecovers(t *testing.T) {
	f := newFake(t)
	f.directory(450, 3)
	h := providertest.Start(t, newTestProvider(t, f))
	require.Len(t, h.Users(t), 450)
	h.Changes()

	f.mu.Lock()
	f.users = append(f.users, fakeUser{ID: "u-new", Username: "new", Enabled: true})
	f.users[0].Email = "changed@example.com"
	f.mu.Unlock()
	f.setFail(func(endpoint string, page int) (int, http.Header, string) {
		if endpoint == "users" && page == 2 {
			return http.StatusInternalServerError, nil, `{"id":"x","code":"UNEXPECTED_SERVER_ERROR","message":"An unexpected error occurred."}`
		}
		return 0, nil, ""
	})
	st := h.SyncFails(t, "HTTP 500 UNEXPECTED_SERVER_ERROR")
	require.Len(t, h.Users(t), 450)
	require.Equal(t, "user0@example.com", h.Users(t)["u-00000"].GetEmail())

	f.setFail(nil)
	st = h.Sync(t)
	require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, st.GetLastResult())
	require.Equal(t, []string{"u-00000", "u-new"}, providertest.Upserted(h.Changes(), dirsyncv1.RecordType_RECORD_TYPE_USER))
	require.Equal(t, "changed@example.com", h.Users(t)["u-00000"].GetEmail())
}

func TestNestedGroupsWithACycle(t *testing.T) {
	f := newFake(t)
	// a ⊂ b ⊂ c ⊂ a (a cycle), and d ⊂ b. e stands alone.
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		f.groups = append(f.groups, fakeGroup{ID: id, Name: "Group " + id})
	}
	f.parents = map[string][]string{"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"b"}}
	f.users = []fakeUser{
		{ID: "in-a", Enabled: true, Groups: []string{"a"}},
		{ID: "in-d", Enabled: true, Groups: []string{"d"}},
		{ID: "in-e", Enabled: true, Groups: []string{"e"}},
	}
	h := providertest.Start(t, newTestProvider(t, f))
	users, groups := h.Users(t), h.Groups(t)
	require.Equal(t, []string{"a"}, users["in-a"].GetGroupIds())
	require.Equal(t, []string{"a", "b", "c"}, users["in-a"].GetEffectiveGroupIds())
	require.Equal(t, []string{"a", "b", "c", "d"}, users["in-d"].GetEffectiveGroupIds())
	require.Equal(t, []string{"e"}, users["in-e"].GetEffectiveGroupIds())
	require.Equal(t, []string{"b"}, groups["d"].GetGroupIds())
	require.Equal(t, []string{"a", "b", "c"}, groups["d"].GetEffectiveGroupIds())
}

// TestRequestCount is the request budget: a 5,000-user, 500-group environment
// costs one token, ceil(5000/200) user pages, one group page and one nesting listing per
// group (PingOne has no bulk nesting listing).
func TestRequestCount(t *testing.T) {
	f := newFake(t)
	f.directory(5000, 500)
	res := providertest.FullSync(t, newTestProvider(t, f))
	require.Len(t, res.Users, 5000)
	require.Len(t, res.Groups, 500)
	want := map[string]int{"token": 1, "users": 25, "groups": 1, "group nestings": 500}
	for endpoint, n := range want {
		require.Equal(t, n, f.counts.Count(endpoint), endpoint)
	}
	require.Equal(t, 526, minimumRequests(5000, 500), fmt.Sprint(want))
}

// minimumRequests is the fewest API requests (tokens aside) a full read of users and
// groups costs.
func minimumRequests(users, groups int) int {
	return (users+userPageSize-1)/userPageSize + max(1, (groups+groupPageSize-1)/groupPageSize) + groups
}
