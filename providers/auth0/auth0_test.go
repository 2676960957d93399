package auth0

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/apiclient"
	"github.com/dirsync/dirsync/providers/providertest"
)

// fast is the tuning of tests: no real waits between retries or job polls.
var fast = tuning{minRetryDelay: time.Millisecond, pollInterval: time.Millisecond}

func newTestProvider(t testing.TB, o Options, tu tuning) *provider {
	t.Helper()
	p, err := newProvider(o, providers.Deps{Directory: "test"}, tu)
	require.NoError(t, err)
	return p
}

func TestOptions(t *testing.T) {
	typ := providertest.Type(t, Register, "auth0")
	opt, ok := typ.Option("client_secret")
	require.True(t, ok)
	require.True(t, opt.Secret)
	require.True(t, opt.Required)
	opt, _ = typ.Option("group_source")
	require.Equal(t, "roles", opt.Default)

	tests := []providertest.OptionsCase{
		{Name: "missing domain", Options: "{client_id: c, client_secret: topsecret}", WantErr: `option "domain": required`},
		{Name: "missing client_id", Options: "{domain: a.auth0.com, client_secret: topsecret}", WantErr: `option "client_id": required`},
		{Name: "missing client_secret", Options: "{domain: a.auth0.com, client_id: c}", WantErr: `option "client_secret": required`},
		{Name: "domain with scheme", Options: "{domain: 'https://a.auth0.com', client_id: c, client_secret: topsecret}", WantErr: `option "domain": "https://a.auth0.com" is not a host name`},
		{Name: "domain with path", Options: "{domain: 'a.auth0.com/api/v2', client_id: c, client_secret: topsecret}", WantErr: `option "domain"`},
		{Name: "bad group_source", Options: "{domain: a.auth0.com, client_id: c, client_secret: topsecret, group_source: groups}", WantErr: `option "group_source": "groups" is not roles or organizations`},
		{Name: "bad api_url", Options: "{domain: a.auth0.com, client_id: c, client_secret: topsecret, api_url: 'ftp://x'}", WantErr: `option "api_url"`},
		{Name: "roles", Options: "{domain: a.auth0.com, client_id: c, client_secret: topsecret}"},
		{Name: "organizations", Options: "{domain: a.auth0.com, client_id: c, client_secret: topsecret, group_source: organizations}"},
	}
	providertest.CheckOptions(t, typ, tests, "topsecret")
}

// TestSyncListing reads a small tenant through the paged listing: three pages of users,
// roles and role members each, with exact auth and the records an engine needs.
func TestSyncListing(t *testing.T) {
	f := newFake(t)
	f.users = []fakeUser{
		{ID: "auth0|1", Email: "ada@example.com", Name: "Ada Lovelace", Connection: "Username-Password-Authentication"},
		{ID: "google-oauth2|2", Email: "bob@example.com", Name: "Bob", Connection: "google-oauth2", Blocked: true},
		{ID: "auth0|3", Email: "cy@example.com", Connection: "Username-Password-Authentication"},
		{ID: "auth0|4", Email: "di@example.com", Name: "Di"},
		{ID: "auth0|5", Email: "ed@example.com", Name: "Ed"},
	}
	f.roles = []fakeGroup{
		{ID: "rol_a", Name: "admins", Description: "Administrators", Members: []string{"auth0|1", "google-oauth2|2", "auth0|3", "auth0|4", "auth0|5"}},
		{ID: "rol_b", Name: "billing", Members: []string{"auth0|1"}},
		{ID: "rol_c", Name: "contractors"},
		{ID: "rol_d", Name: "devs", Members: []string{"auth0|5", "auth0|gone"}},
		{ID: "rol_e", Name: "everyone"},
	}
	p := newTestProvider(t, f.options(), tuning{pageSize: 2, minRetryDelay: time.Millisecond})
	res := providertest.FullSync(t, p)

	users := map[string]*dirsyncv1.User{}
	for _, u := range res.Users {
		users[u.GetId()] = u
	}
	require.Len(t, users, 5)
	ada := users["auth0|1"]
	require.Equal(t, "ada@example.com", ada.GetEmail())
	require.Equal(t, "Ada Lovelace", ada.GetDisplayName())
	require.Equal(t, dirsyncv1.UserState_USER_STATE_ACTIVE, ada.GetState())
	require.Equal(t, []string{"rol_a", "rol_b"}, ada.GetGroupIds())
	require.Equal(t, "Username-Password-Authentication", ada.GetAttributes().GetFields()["connection"].GetStringValue())
	require.Equal(t, dirsyncv1.UserState_USER_STATE_SUSPENDED, users["google-oauth2|2"].GetState(), "blocked")
	require.Equal(t, "cy", users["auth0|3"].GetDisplayName(), "nickname when there is no name")
	require.Equal(t, []string{"rol_a", "rol_d"}, users["auth0|5"].GetGroupIds())
	require.Len(t, res.Groups, 5)
	require.Equal(t, "admins", res.Groups[0].GetName())
	require.Equal(t, "Administrators", res.Groups[0].GetDescription())

	require.Equal(t, 1, f.counts.Count("token"))
	require.Equal(t, 3, f.counts.Count("users"), "5 users, 2 per page")
	require.Equal(t, 3, f.counts.Count("roles"), "5 roles, 2 per page")
	require.Equal(t, 3+1+1+1+1, f.counts.Count("role members"), "checkpoint pages of 2 for 5, 1, 0, 2 and 0 members")
	require.Zero(t, f.counts.Count("users export"), "a small tenant needs no export job")
}

// TestSyncExportBeyondListingLimit is the requirement: a tenant of 5,000 users,
// whose paged listing stops at 1,000 results, syncs completely — through the real syncer to
// a subscriber.
func TestSyncExportBeyondListingLimit(t *testing.T) {
	f := newFake(t)
	f.populate(5000, 50)
	p := newTestProvider(t, f.options(), fast)
	h := providertest.Start(t, p)
	st := h.Status(t)
	require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, st.GetLastResult(), st.GetLastError())
	users := h.Users(t)
	require.Len(t, users, 5000)
	last := users[fmt.Sprintf("auth0|%024d", 4999)]
	require.NotNil(t, last, "the users beyond the first 1,000")
	require.Equal(t, "user4999@example.com", last.GetEmail())
	require.Equal(t, []string{"rol_0000000000000000", "rol_0000000000000006", "rol_0000000000000049"}, last.GetGroupIds())
	require.Equal(t, dirsyncv1.UserState_USER_STATE_SUSPENDED, users[fmt.Sprintf("auth0|%024d", 3)].GetState())
	require.Len(t, h.Groups(t), 50)
	require.Equal(t, 1, f.counts.Count("users"), "one listing page shows the total; the rest comes from the export")
	require.Equal(t, 1, f.counts.Count("users export"))
	require.Equal(t, 1, f.counts.Count("users export download"))
	require.Zero(t, f.leaked, "the token must not go to the export file's host")
}

// TestListingNeverPassesTheLimit: when the total is small but the listing would have to go
// past the 1,000-result window (the tenant grew during the read), the provider switches to
// the export instead of asking for a page Auth0 refuses.
func TestListingNeverPassesTheLimit(t *testing.T) {
	f := newFake(t)
	f.populate(7, 3)
	f.listLimit = 4
	// The first page says 3 users; then the tenant "grows".
	f.setFault(func(w http.ResponseWriter, endpoint string, n int) bool {
		if endpoint == "users" && n == 1 {
			providertest.WriteJSON(w, http.StatusOK, map[string]any{"start": 0, "limit": 2, "length": 2, "total": 3,
				"users": []map[string]any{{"user_id": "auth0|x1"}, {"user_id": "auth0|x2"}}})
			return true
		}
		return false
	})
	p := newTestProvider(t, f.options(), tuning{pageSize: 2, listLimit: 4, minRetryDelay: time.Millisecond, pollInterval: time.Millisecond})
	res, err := p.Sync(context.Background(), nil)
	require.NoError(t, err)
	require.Len(t, res.Users, 7, "the export's users, not the listing's")
	require.Equal(t, 2, f.counts.Count("users"))
	require.Equal(t, 1, f.counts.Count("users export"))
}

func TestTokenRenewedOnceAfter401(t *testing.T) {
	f := newFake(t)
	f.populate(6, 6)
	revoked := false
	f.setFault(func(w http.ResponseWriter, endpoint string, n int) bool {
		if endpoint == "role members" && n == 3 && !revoked {
			revoked = true
			f.revoke()
		}
		return false
	})
	p := newTestProvider(t, Options{Domain: f.domain, ClientID: fakeClientID, ClientSecret: fakeSecret, APIURL: f.api.URL,
		Options: apiclient.Options{MaxConcurrency: 1}}, fast)
	res, err := p.Sync(context.Background(), nil)
	require.NoError(t, err)
	require.Len(t, res.Users, 6)
	require.Equal(t, 2, f.counts.Count("token"), "fetched again once after the 401")
	require.Equal(t, 6+1, f.counts.Count("role members"), "the refused request is repeated once")
}

func TestTokenRejected(t *testing.T) {
	f := newFake(t)
	f.secret = "another"
	p := newTestProvider(t, f.options(), fast)
	_, err := p.Sync(context.Background(), nil)
	require.ErrorContains(t, err, "token request: HTTP 401 access_denied: Unauthorized")
	require.NotContains(t, err.Error(), fakeSecret)
	require.Equal(t, 1, f.counts.Count("token"), "a rejected credential is not retried")
}

func TestRetryAfter429(t *testing.T) {
	f := newFake(t)
	f.populate(5, 5)
	f.setFault(func(w http.ResponseWriter, endpoint string, n int) bool {
		if endpoint == "roles" && n == 2 {
			w.Header().Set("Retry-After", "1")
			w.Header().Set("X-RateLimit-Remaining", "0")
			apiError(w, http.StatusTooManyRequests, "Global limit has been reached", "too_many_requests")
			return true
		}
		return false
	})
	p := newTestProvider(t, f.options(), tuning{pageSize: 2, minRetryDelay: time.Millisecond})
	start := time.Now()
	res, err := p.Sync(context.Background(), nil)
	require.NoError(t, err)
	require.Len(t, res.Groups, 5)
	require.Equal(t, 4, f.counts.Count("roles"), "three pages, the second twice")
	require.GreaterOrEqual(t, time.Since(start), 900*time.Millisecond, "Retry-After was honoured")
}

func TestExportJobFailed(t *testing.T) {
	f := newFake(t)
	f.populate(20, 2)
	f.setFault(func(w http.ResponseWriter, endpoint string, n int) bool {
		if endpoint == "users export job" {
			providertest.WriteJSON(w, http.StatusOK, map[string]any{"id": "job_0000000000000001", "status": "failed", "status_details": "Internal error"})
			return true
		}
		return false
	})
	p := newTestProvider(t, f.options(), tuning{pageSize: 5, listLimit: 10, minRetryDelay: time.Millisecond, pollInterval: time.Millisecond})
	_, err := p.Sync(context.Background(), nil)
	require.ErrorContains(t, err, "users export: job job_0000000000000001 failed: Internal error")
}

// TestFailedPageAppliesNothing: a 503 on page 2 of 3 of a role's members fails the run,
// changes nothing a subscriber sees, shows the error in the status, and the next run applies.
func TestFailedPageAppliesNothing(t *testing.T) {
	f := newFake(t)
	f.populate(6, 2)
	p := newTestProvider(t, f.options(), tuning{pageSize: 2, minRetryDelay: time.Millisecond})
	h := providertest.Start(t, p)
	require.Len(t, h.Users(t), 6)
	h.Changes()

	f.mu.Lock()
	f.users = append(f.users, fakeUser{ID: "auth0|new", Email: "new@example.com"})
	f.roles[0].Members = append(f.roles[0].Members, "auth0|new")
	f.mu.Unlock()
	f.setFault(func(w http.ResponseWriter, endpoint string, n int) bool {
		if endpoint == "role members" && n >= 2 {
			apiError(w, http.StatusServiceUnavailable, "Service Unavailable", "")
			return true
		}
		return false
	})
	st := h.SyncFails(t, "role members: HTTP 503")
	require.Len(t, h.Users(t), 6)

	f.setFault(nil)
	st = h.Sync(t)
	require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, st.GetLastResult(), st.GetLastError())
	require.Equal(t, []string{"auth0|new"}, providertest.Upserted(h.Changes(), dirsyncv1.RecordType_RECORD_TYPE_USER))
	require.Equal(t, []string{"rol_0000000000000000"}, h.Users(t)["auth0|new"].GetEffectiveGroupIds())
}

func TestOrganizations(t *testing.T) {
	f := newFake(t)
	f.populate(5, 1)
	f.orgs = []fakeGroup{
		{ID: "org_1", Name: "Acme Corp", Description: "acme", Members: []string{"auth0|000000000000000000000000", "auth0|000000000000000000000001", "auth0|000000000000000000000002", "auth0|000000000000000000000003", "auth0|000000000000000000000004"}},
		{ID: "org_2", Name: "", Description: "globex", Members: []string{"auth0|000000000000000000000001"}},
		{ID: "org_3", Name: "Initech", Description: "initech"},
	}
	o := f.options()
	o.GroupSource = "organizations"
	p := newTestProvider(t, o, tuning{pageSize: 2, minRetryDelay: time.Millisecond})
	res, err := p.Sync(context.Background(), nil)
	require.NoError(t, err)
	require.Len(t, res.Groups, 3)
	require.Equal(t, "Acme Corp", res.Groups[0].GetName())
	require.Equal(t, "acme", res.Groups[0].GetAttributes().GetFields()["name"].GetStringValue())
	require.Equal(t, "globex", res.Groups[1].GetName(), "the slug when there is no display name")
	var u1 *dirsyncv1.User
	for _, u := range res.Users {
		if u.GetId() == "auth0|000000000000000000000001" {
			u1 = u
		}
	}
	require.Equal(t, []string{"org_1", "org_2"}, u1.GetGroupIds())
	require.Equal(t, 2, f.counts.Count("organizations"), "3 organizations, 2 per page")
	require.Equal(t, 3+1+1, f.counts.Count("organization members"))
	require.Zero(t, f.counts.Count("roles"))
}

// TestRequestCount is the request-count assertion for a 5,000-user / 500-role
// tenant: one token, one listing page (whose total says the listing cannot reach every user),
// the export job (create, polls until it completes, one download), ceil(500/100) role pages
// and, as Auth0 has no bulk membership read, one checkpoint listing per role (30 members:
// one page of 100 each).
func TestRequestCount(t *testing.T) {
	f := newFake(t)
	f.populate(5000, 500)
	p := newTestProvider(t, f.options(), fast)
	res, err := p.Sync(context.Background(), nil)
	require.NoError(t, err)
	require.Len(t, res.Users, 5000)
	require.Len(t, res.Groups, 500)
	want := map[string]int{
		"token":                 1,
		"users":                 1,
		"users export":          1,
		"users export job":      f.pollsBeforeDone + 1,
		"users export download": 1,
		"roles":                 5,
		"role members":          500,
	}
	for endpoint, n := range want {
		require.Equal(t, n, f.counts.Count(endpoint), endpoint)
	}
	require.Equal(t, 1+1+1+3+1+5+500, f.counts.Total())
}

func TestDecodeExport(t *testing.T) {
	users, err := decodeExport([]byte("{\"user_id\":\"a\",\"blocked\":true}\n{\"user_id\":\"b\",\"email\":\"b@x\"}\n"))
	require.NoError(t, err)
	require.Len(t, users, 2)
	require.Equal(t, dirsyncv1.UserState_USER_STATE_SUSPENDED, users[0].GetState())
	_, err = decodeExport([]byte("{\"user_id\":\"a\"}\n{\"email\":\"b@x\"}\n"))
	require.ErrorContains(t, err, "user 2 has no user_id")
	_, err = decodeExport([]byte("{\"user_id\":\"a\"}\nnot json"))
	require.True(t, err != nil && strings.Contains(err.Error(), "user 2"))
}
