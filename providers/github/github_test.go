package github

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/apiclient"
	"github.com/dirsync/dirsync/providers/providertest"
)

// testProvider returns a provider for f with fast retries; o's empty token and api_url
// are filled in from f.
func testProvider(t testing.TB, f *fakeGitHub, o Options) *provider {
	t.Helper()
	if o.Token == "" {
		o.Token = f.token
	}
	if o.APIURL == "" {
		o.APIURL = f.apiURL()
	}
	p, err := newProvider(o, providers.Deps{Directory: providertest.Dir}, func(c *apiclient.Config) {
		c.MinRetryDelay = time.Millisecond
		c.MaxWait = 20 * time.Second
	})
	require.NoError(t, err)
	return p
}

func syncOnce(t testing.TB, p providers.Provider) (*providers.Result, *providertest.Progress, error) {
	t.Helper()
	return providertest.SyncCounted(p, nil)
}

// acme is a small organization with nested teams: eng > eng-backend > eng-db, and ops.
func acme() *fakeOrg {
	return &fakeOrg{
		Login: "acme",
		Members: []fakeUser{
			{ID: "U_alice", Login: "alice", Name: "Alice Liddell", Email: "alice@acme.example"},
			{ID: "U_bob", Login: "bob"},
			{ID: "U_carol", Login: "carol", Name: "Carol"},
			{ID: "U_dave", Login: "dave", Name: "Dave"},
		},
		Teams: []*fakeTeam{
			{ID: "T_eng", Slug: "eng", Name: "Engineering", Description: "all engineers", Members: []string{"alice"}},
			{ID: "T_backend", Slug: "eng-backend", Name: "Backend", Parent: "eng", Members: []string{"bob", "alice"}},
			{ID: "T_db", Slug: "eng-db", Name: "Databases", Parent: "eng-backend", Members: []string{"carol"}},
			{ID: "T_ops", Slug: "ops", Name: "Ops", Members: []string{"bob", "ghost"}}, // ghost: not a member (yet)
		},
	}
}

func TestSyncRecords(t *testing.T) {
	f := newFakeGitHub(t, "", acme())
	res, _, err := syncOnce(t, testProvider(t, f, Options{Orgs: []string{"acme"}}))
	require.NoError(t, err)
	require.True(t, res.Full)

	byID := map[string]*dirsyncv1.User{}
	for _, u := range res.Users {
		byID[u.Id] = u
	}
	require.Equal(t, []string{"alice", "bob", "carol", "dave"}, providertest.IDs(res.Users))
	alice := byID["alice"]
	require.Equal(t, "Alice Liddell", alice.DisplayName)
	require.Equal(t, "alice", alice.Username)
	require.Equal(t, "alice@acme.example", alice.Email)
	require.Equal(t, dirsyncv1.UserState_USER_STATE_ACTIVE, alice.State)
	require.Equal(t, "U_alice", alice.Attributes.AsMap()["node_id"])
	require.Equal(t, []string{"acme/eng", "acme/eng-backend"}, alice.GroupIds)
	require.Equal(t, "bob", byID["bob"].DisplayName, "the login when there is no name")
	require.Equal(t, []string{"acme/eng-backend", "acme/ops"}, byID["bob"].GroupIds)
	require.Equal(t, []string{"acme/eng-db"}, byID["carol"].GroupIds)
	require.Empty(t, byID["dave"].GroupIds)

	require.Equal(t, []string{"acme/eng", "acme/eng-backend", "acme/eng-db", "acme/ops"}, providertest.IDs(res.Groups))
	require.Equal(t, "Engineering", res.Groups[0].Name)
	require.Equal(t, "all engineers", res.Groups[0].Description)
	require.Empty(t, res.Groups[0].GroupIds)
	require.Equal(t, []string{"acme/eng"}, res.Groups[1].GroupIds, "a child team is a member of its parent")
	require.Equal(t, []string{"acme/eng-backend"}, res.Groups[2].GroupIds)
}

func TestSyncNodeIDs(t *testing.T) {
	f := newFakeGitHub(t, "", acme())
	res, _, err := syncOnce(t, testProvider(t, f, Options{Orgs: []string{"acme"}, UserIDAttribute: "node_id"}))
	require.NoError(t, err)
	require.Equal(t, []string{"U_alice", "U_bob", "U_carol", "U_dave"}, providertest.IDs(res.Users))
	require.Equal(t, []string{"T_backend", "T_eng"}, res.Users[0].GroupIds)
	require.Equal(t, "alice", res.Users[0].Username)
	require.Equal(t, []string{"T_backend", "T_db", "T_eng", "T_ops"}, providertest.IDs(res.Groups))
	require.Equal(t, []string{"T_eng"}, res.Groups[0].GroupIds)
}

func TestEnterpriseServerAndDefaultOrgs(t *testing.T) {
	other := &fakeOrg{Login: "beta", Members: []fakeUser{{ID: "U_alice", Login: "alice"}, {ID: "U_erin", Login: "erin"}},
		Teams: []*fakeTeam{{ID: "T_b", Slug: "eng", Name: "Beta eng", Members: []string{"alice"}}}}
	f := newFakeGitHub(t, "/api/v3", acme(), other)
	res, _, err := syncOnce(t, testProvider(t, f, Options{}))
	require.NoError(t, err)
	require.Equal(t, 1, f.requests.Count("orgs"), "GET /api/v3/user/orgs")
	require.Equal(t, 2, f.requests.Count("Members"), "POST /api/graphql per organization")
	require.Equal(t, []string{"alice", "bob", "carol", "dave", "erin"}, providertest.IDs(res.Users), "a member of two organizations is one user")
	require.Equal(t, []string{"acme/eng", "acme/eng-backend", "beta/eng"}, res.Users[0].GroupIds)
}

func TestGraphQLURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://api.github.com":             "https://api.github.com/graphql",
		"https://api.github.com/":            "https://api.github.com/graphql",
		"https://ghe.example.com/api/v3":     "https://ghe.example.com/api/graphql",
		"https://ghe.example.com/api/v3/":    "https://ghe.example.com/api/graphql",
		"http://127.0.0.1:8080/proxy/api/v3": "http://127.0.0.1:8080/proxy/api/graphql",
	} {
		p, err := newProvider(Options{Token: "t", APIURL: in}, providers.Deps{}, nil)
		require.NoError(t, err)
		require.Equal(t, want, p.graphqlURL, in)
	}
}

func TestOptions(t *testing.T) {
	typ := providertest.Type(t, Register, "github")
	token, _ := typ.Option("token")
	require.True(t, token.Secret)
	require.True(t, token.Required)
	def, _ := typ.Option("api_url")
	require.Equal(t, "https://api.github.com", def.Default)

	tests := []providertest.OptionsCase{
		{Name: "valid", Options: `{token: x, orgs: [acme, beta]}`},
		{Name: "valid node ids", Options: `{token: x, user_id_attribute: node_id, api_url: "https://ghe.example.com/api/v3"}`},
		{Name: "missing token", Options: `{orgs: [acme]}`, WantErr: `option "token": required`},
		{Name: "bad id attribute", Options: `{token: x, user_id_attribute: email}`, WantErr: `option "user_id_attribute": "email" is not login or node_id`},
		{Name: "relative api_url", Options: `{token: x, api_url: api.github.com}`, WantErr: `option "api_url": "api.github.com" is not an absolute http(s) URL`},
		{Name: "org with a slash", Options: `{token: x, orgs: [acme/eng]}`, WantErr: `option "orgs": "acme/eng" is not an organization login`},
		{Name: "empty org", Options: `{token: x, orgs: [""]}`, WantErr: `option "orgs": "" is not an organization login`},
		{Name: "unknown option", Options: `{token: x, org: acme}`, WantErr: `unknown option "org"`},
	}
	providertest.CheckOptions(t, typ, tests, "x,")
}

func TestBadTokenFailsTheRun(t *testing.T) {
	f := newFakeGitHub(t, "", acme())
	_, _, err := syncOnce(t, testProvider(t, f, Options{Orgs: []string{"acme"}, Token: "ghp_wrong"}))
	require.ErrorContains(t, err, "HTTP 401")
	require.ErrorContains(t, err, "Bad credentials")
	require.ErrorContains(t, err, `github organization "acme"`)
	require.NotContains(t, err.Error(), "ghp_wrong")
	n := f.requests.Count("unauthorized")
	require.True(t, n >= 1 && n <= 2, "one request per listing started (members, teams), none retried: %d", n)
}

func TestPagination(t *testing.T) {
	big := bigOrg("acme", 250, 250, 250)
	f := newFakeGitHub(t, "", big)
	res, pr, err := syncOnce(t, testProvider(t, f, Options{Orgs: []string{"acme"}}))
	require.NoError(t, err)
	require.Len(t, res.Users, 250)
	require.Len(t, res.Groups, 250)
	require.Equal(t, 3, f.requests.Count("Members"))
	require.Equal(t, 3, f.requests.Count("Teams"))
	require.Equal(t, 2*10, f.requests.Count("TeamMembers"), "ten teams of 250 members: two more pages each")
	require.Equal(t, 3+3+20, pr.Requests())
	requireMemberships(t, big, res)
}

func TestOrgPagination(t *testing.T) {
	var orgs []*fakeOrg
	for i := range 201 {
		orgs = append(orgs, &fakeOrg{Login: fmt.Sprintf("org%03d", i), Members: []fakeUser{{ID: fmt.Sprint("U_", i), Login: fmt.Sprint("user", i)}}})
	}
	f := newFakeGitHub(t, "", orgs...)
	res, _, err := syncOnce(t, testProvider(t, f, Options{}))
	require.NoError(t, err)
	require.Equal(t, 3, f.requests.Count("orgs"), "201 organizations at 100 per page")
	require.Len(t, res.Users, 201)
}

func TestNoVisibleOrgIsAnError(t *testing.T) {
	f := newFakeGitHub(t, "")
	_, _, err := syncOnce(t, testProvider(t, f, Options{}))
	require.ErrorContains(t, err, `the token sees no organization`)
}

func TestRateLimitsRetried(t *testing.T) {
	tests := []struct {
		name, op string
		page     int
		reply    fakeReply
	}{
		{"429 with retry-after", "Members", 2, fakeReply{status: 429, header: map[string]string{"Retry-After": "1"},
			body: `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}`}},
		{"secondary 403 with retry-after", "Teams", 1, fakeReply{status: 403, header: map[string]string{"Retry-After": "1"},
			body: `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}`}},
		{"primary 403 with remaining 0", "Members", 1, fakeReply{status: 403,
			header: map[string]string{"X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": strconv.FormatInt(time.Now().Unix(), 10)},
			body:   `{"message":"API rate limit exceeded for user ID 1.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}`}},
		{"502", "Teams", 3, fakeReply{status: 502, body: `<html>Bad Gateway</html>`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			big := bigOrg("acme", 250, 250, 250)
			f := newFakeGitHub(t, "", big)
			f.failPage(tt.op, tt.page, tt.reply)
			res, pr, err := syncOnce(t, testProvider(t, f, Options{Orgs: []string{"acme"}}))
			require.NoError(t, err)
			require.Equal(t, 3+3+20+1, pr.Requests(), "one request more than the minimum")
			if tt.reply.status != 502 {
				require.Len(t, pr.Waits(), 1, "counted as a rate-limit wait")
			}
			requireMemberships(t, big, res)
		})
	}
}

// TestSecondaryLimitWithoutRetryAfter: a secondary limit that names no wait, with requests
// left in the primary budget, is retried after a backoff, not at the hourly reset.
func TestSecondaryLimitWithoutRetryAfter(t *testing.T) {
	big := bigOrg("acme", 250, 250, 250)
	f := newFakeGitHub(t, "", big)
	f.failPage("TeamMembers", 2, fakeReply{status: 403,
		body: `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}`})
	res, pr, err := syncOnce(t, testProvider(t, f, Options{Orgs: []string{"acme"}}))
	require.NoError(t, err)
	require.Len(t, pr.Waits(), 1)
	requireMemberships(t, big, res)
}

func TestPrimaryLimitResetHonoured(t *testing.T) {
	f := newFakeGitHub(t, "", bigOrg("acme", 250, 10, 5))
	reset := time.Now().Add(time.Second).Unix()
	// Every response says the budget is spent until reset: no request may be sent after the
	// first before that second has passed.
	f.remaining, f.reset = "0", reset
	// One request at a time, so that the first answer is seen before any other request.
	p := testProvider(t, f, Options{Orgs: []string{"acme"}, Options: apiclient.Options{MaxConcurrency: 1}})
	_, pr, err := syncOnce(t, p)
	require.NoError(t, err)
	require.NotEmpty(t, pr.Waits())
	f.mu.Lock()
	defer f.mu.Unlock()
	var later []time.Time
	for key, ts := range f.times {
		for i, at := range ts {
			if key != "Members#1" || i > 0 {
				later = append(later, at)
			}
		}
	}
	require.NotEmpty(t, later)
	for _, at := range later {
		require.False(t, at.Before(time.Unix(reset, 0)), "a request was sent at %s, before the reset", at)
	}
}

func TestThrottledClassification(t *testing.T) {
	resp := func(status int, header map[string]string, body string) *apiclient.Response {
		r := &apiclient.Response{Status: status, Header: map[string][]string{}, Body: []byte(body)}
		for k, v := range header {
			r.Header.Set(k, v)
		}
		return r
	}
	require.True(t, throttled(resp(403, map[string]string{"retry-after": "60"}, `{}`)))
	require.True(t, throttled(resp(403, map[string]string{"x-ratelimit-remaining": "0"}, `{}`)))
	require.True(t, throttled(resp(403, nil, `{"message":"You have exceeded a secondary rate limit."}`)))
	require.True(t, throttled(resp(429, nil, `{}`)))
	require.False(t, throttled(resp(403, map[string]string{"x-ratelimit-remaining": "4000"},
		`{"message":"Resource not accessible by personal access token"}`)), "a permission error")
	require.False(t, throttled(resp(404, map[string]string{"retry-after": "1"}, `{}`)))
}

func TestPermissionErrorNotRetried(t *testing.T) {
	f := newFakeGitHub(t, "", acme())
	f.failPage("Members", 1, fakeReply{status: 403, body: `{"message":"Resource not accessible by personal access token","documentation_url":"https://docs.github.com/graphql","status":"403"}`})
	_, _, err := syncOnce(t, testProvider(t, f, Options{Orgs: []string{"acme"}}))
	require.ErrorContains(t, err, "HTTP 403")
	require.ErrorContains(t, err, "Resource not accessible by personal access token")
	require.Equal(t, 1, f.requests.Count("Members"))
}

func TestGraphQLErrorsAreErrors(t *testing.T) {
	reset := time.Now().Add(30 * time.Minute).Unix()
	tests := []struct {
		name, op, body, want string
		retryAt              int64
	}{
		{"rate limited", "Members", `{"data":null,"errors":[{"type":"RATE_LIMITED","message":"API rate limit exceeded for user ID 1."}]}`,
			"members: GraphQL error RATE_LIMITED: API rate limit exceeded for user ID 1.", reset + 1},
		{"partial data with an error", "Teams", `{"data":{"organization":{"teams":{"pageInfo":{"hasNextPage":false,"endCursor":null},"nodes":[]}}},` +
			`"errors":[{"type":"FORBIDDEN","path":["organization","teams"],"message":"Resource protected by organization SAML enforcement. You must grant your Personal Access token access to this organization."}]}`,
			"teams: GraphQL error FORBIDDEN: Resource protected by organization SAML enforcement", 0},
		{"error without type", "TeamMembers", `{"errors":[{"message":"Something went wrong while executing your query."},{"message":"again"}]}`,
			"team members: GraphQL error Something went wrong while executing your query. (and 1 more errors)", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeGitHub(t, "", bigOrg("acme", 250, 250, 250))
			f.reset = reset
			f.failPage(tt.op, 2, fakeReply{status: 200, body: tt.body})
			res, _, err := syncOnce(t, testProvider(t, f, Options{Orgs: []string{"acme"}}))
			require.Nil(t, res)
			require.ErrorContains(t, err, tt.want)
			at, ok := providers.RetryAt(err)
			require.Equal(t, tt.retryAt != 0, ok)
			if ok {
				require.Equal(t, time.Unix(tt.retryAt, 0), at)
			}
		})
	}
}

// TestFailedRunsApplyNothing runs the provider under the real syncer: a GraphQL errors
// answer, a secondary rate limit that does not pass, and a 5xx on page 2 of 3 each fail
// the run, change nothing, show in the status; the next run then succeeds.
func TestFailedRunsApplyNothing(t *testing.T) {
	secondary := fakeReply{status: 403, header: map[string]string{"Retry-After": "3600"},
		body: `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}`}
	tests := []struct {
		name, op string
		replies  []fakeReply
		want     string
	}{
		{"GraphQL errors", "Members", []fakeReply{{status: 200, body: `{"data":null,"errors":[{"type":"RATE_LIMITED","message":"API rate limit exceeded for user ID 1."}]}`}},
			"GraphQL error RATE_LIMITED"},
		{"secondary rate limit 403", "Teams", []fakeReply{secondary}, "HTTP 403 You have exceeded a secondary rate limit"},
		{"5xx on page 2 of 3", "Members", []fakeReply{{status: 500, body: `{"message":"Server Error"}`}, {status: 502}, {status: 503}, {status: 500}, {status: 502}, {status: 503}},
			"HTTP 503"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := bigOrg("acme", 250, 250, 250)
			f := newFakeGitHub(t, "", o)
			h := providertest.Start(t, testProvider(t, f, Options{Orgs: []string{"acme"}}))
			require.Len(t, h.Users(t), 250)
			h.Changes()

			// The organization changes, but the run that would see it fails.
			o.Members = o.Members[1:]
			o.Teams[1].Members = nil
			f.failPage(tt.op, 2, tt.replies...)
			st := h.SyncFails(t, tt.want)
			require.Len(t, h.Users(t), 250)

			st = h.Sync(t)
			require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, st.GetLastResult(), st.GetLastError())
			changes := h.Changes()
			require.Equal(t, []string{"user0000"}, providertest.Deleted(changes, dirsyncv1.RecordType_RECORD_TYPE_USER))
			require.Len(t, h.Users(t), 249)
		})
	}
}

func TestNestedTeamsEffectiveGroups(t *testing.T) {
	o := acme()
	// A cycle GitHub itself would refuse, to show it cannot hang the sync: a → b → a, c → a.
	o.Teams = append(o.Teams,
		&fakeTeam{ID: "T_a", Slug: "a", Name: "A", Parent: "b", Members: []string{"dave"}},
		&fakeTeam{ID: "T_b", Slug: "b", Name: "B", Parent: "a"},
		&fakeTeam{ID: "T_c", Slug: "c", Name: "C", Parent: "a", Members: []string{"alice"}})
	f := newFakeGitHub(t, "", o)
	h := providertest.Start(t, testProvider(t, f, Options{Orgs: []string{"acme"}}))
	require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, h.Status(t).GetLastResult(), h.Status(t).GetLastError())
	users := h.Users(t)
	require.Equal(t, []string{"acme/eng", "acme/eng-backend", "acme/eng-db"}, users["carol"].GetEffectiveGroupIds(),
		"a member of a child team is a member of its ancestors")
	require.Equal(t, []string{"acme/eng-db"}, users["carol"].GetGroupIds())
	require.Equal(t, []string{"acme/eng", "acme/eng-backend", "acme/ops"}, users["bob"].GetEffectiveGroupIds())
	require.Equal(t, []string{"acme/a", "acme/b"}, users["dave"].GetEffectiveGroupIds())
	require.Equal(t, []string{"acme/a", "acme/b", "acme/c", "acme/eng", "acme/eng-backend"}, users["alice"].GetEffectiveGroupIds())
	require.Equal(t, []string{"acme/eng", "acme/eng-backend"}, h.Groups(t)["acme/eng-db"].GetEffectiveGroupIds())
}

// TestRequestCount5000Users checks that a full sync of 5,000 members and 500 teams makes
// exactly the minimum of requests GraphQL allows: one per 100 members, one per 100 teams
// (each with its first 100 members), and one per further 100 members of a large team.
func TestRequestCount5000Users(t *testing.T) {
	o := bigOrg("acme", 5000, 500, 320)
	f := newFakeGitHub(t, "", o)
	res, pr, err := syncOnce(t, testProvider(t, f, Options{}))
	require.NoError(t, err)
	require.Len(t, res.Users, 5000)
	require.Len(t, res.Groups, 500)
	requireMemberships(t, o, res)

	follow := 0
	for _, tm := range o.Teams {
		follow += max(0, providertest.CeilDiv(len(tm.Members), 100)-1)
	}
	require.Equal(t, 30, follow, "ten teams of 320 members: three more pages each")
	want := map[string]int{"orgs": 1, "Members": 50, "Teams": 5, "TeamMembers": follow}
	require.Equal(t, want, f.requests.Counts())
	require.Equal(t, 1+50+5+30, pr.Requests())
}

// bigOrg returns an organization of users members and teams teams: user j is in team
// j % teams, the first ten teams also hold the first large users, and every tenth team is
// the parent of the nine after it.
func bigOrg(login string, users, teams, large int) *fakeOrg {
	o := &fakeOrg{Login: login}
	for j := range users {
		o.Members = append(o.Members, fakeUser{ID: fmt.Sprintf("U_%04d", j), Login: fmt.Sprintf("user%04d", j), Name: fmt.Sprintf("User %d", j)})
	}
	for i := range teams {
		tm := &fakeTeam{ID: fmt.Sprintf("T_%03d", i), Slug: fmt.Sprintf("team%03d", i), Name: fmt.Sprintf("Team %d", i)}
		if i%10 != 0 {
			tm.Parent = fmt.Sprintf("team%03d", i-i%10)
		}
		o.Teams = append(o.Teams, tm)
	}
	for j := range users {
		o.Teams[j%teams].Members = append(o.Teams[j%teams].Members, o.Members[j].Login)
	}
	for i := range min(10, teams) {
		for j := range min(large, users) {
			if j%teams != i {
				o.Teams[i].Members = append(o.Teams[i].Members, o.Members[j].Login)
			}
		}
	}
	return o
}

// requireMemberships checks that every team membership of o is in res.
func requireMemberships(t *testing.T, o *fakeOrg, res *providers.Result) {
	t.Helper()
	want := map[string][]string{}
	for _, tm := range o.Teams {
		for _, m := range tm.Members {
			want[m] = append(want[m], o.Login+"/"+tm.Slug)
		}
	}
	n := 0
	for _, u := range res.Users {
		require.ElementsMatch(t, want[u.Id], u.GroupIds, u.Id)
		n += len(u.GroupIds)
	}
	total := 0
	for _, tm := range o.Teams {
		total += len(tm.Members)
	}
	require.Equal(t, total, n)
}
