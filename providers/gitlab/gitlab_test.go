package gitlab

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/apiclient"
	"github.com/dirsync/dirsync/providers/providertest"
)

func testProvider(t testing.TB, f *fakeGitLab, o Options) *provider {
	t.Helper()
	if o.Token == "" {
		o.Token = f.token
	}
	if o.URL == "" {
		o.URL = f.srv.URL
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

// tree is acme > acme/platform > acme/platform/db, acme > acme/sales, and beta.
func tree() []*fakeGroup {
	return []*fakeGroup{
		{ID: 1, Path: "acme", Name: "ACME", Description: "the company", Members: []fakeMember{{ID: 101, Username: "alice", Name: "Alice", Email: "alice@acme.example"}}},
		{ID: 2, Path: "acme/platform", Parent: 1, Members: []fakeMember{{ID: 102, Username: "bob", Name: "Bob"}}},
		{ID: 3, Path: "acme/platform/db", Parent: 2, Members: []fakeMember{{ID: 103, Username: "carol"}, {ID: 101, Username: "alice", Name: "Alice"}}},
		{ID: 4, Path: "acme/sales", Parent: 1, Members: []fakeMember{{ID: 104, Username: "dave", Name: "Dave", State: "blocked"},
			{ID: 106, Username: "gus", Name: "Gus", MembershipState: "awaiting"}}},
		{ID: 10, Path: "beta", Members: []fakeMember{{ID: 104, Username: "dave", Name: "Dave", State: "blocked"},
			{ID: 105, Username: "erin", Name: "Erin", State: "blocked_pending_approval"}}},
	}
}

func TestSyncRecords(t *testing.T) {
	f := newFakeGitLab(t, tree()...)
	res, _, err := syncOnce(t, testProvider(t, f, Options{}))
	require.NoError(t, err)
	require.True(t, res.Full)
	require.Equal(t, map[string]int{"groups": 1, "members": 5}, f.requests.Counts())

	require.Equal(t, []string{"1", "10", "2", "3", "4"}, providertest.IDs(res.Groups))
	g := providertest.ByID(res.Groups)
	require.Equal(t, "acme", g["1"].Name, "the full path, as in GitLab's groups claim")
	require.Equal(t, "the company", g["1"].Description)
	require.Equal(t, "ACME", g["1"].Attributes.AsMap()["name"])
	require.Equal(t, "acme/platform/db", g["3"].Name)
	require.Equal(t, []string{"2", "4"}, g["1"].GroupIds, "a parent group is a member of its subgroups")
	require.Equal(t, []string{"3"}, g["2"].GroupIds)
	require.Empty(t, g["3"].GroupIds)
	require.Empty(t, g["10"].GroupIds)

	require.Equal(t, []string{"101", "102", "103", "104", "105"}, providertest.IDs(res.Users), "gus awaits a seat: not a member")
	u := providertest.ByID(res.Users)
	require.Equal(t, "alice", u["101"].Username)
	require.Equal(t, "Alice", u["101"].DisplayName)
	require.Equal(t, "alice@acme.example", u["101"].Email)
	require.Equal(t, []string{"1", "3"}, u["101"].GroupIds)
	require.Equal(t, dirsyncv1.UserState_USER_STATE_ACTIVE, u["101"].State)
	require.Equal(t, "carol", u["103"].DisplayName, "the username when there is no name")
	require.Equal(t, []string{"10", "4"}, u["104"].GroupIds)
	require.Equal(t, dirsyncv1.UserState_USER_STATE_SUSPENDED, u["104"].State)
	require.Equal(t, "blocked", u["104"].Attributes.AsMap()["state"])
	require.Equal(t, dirsyncv1.UserState_USER_STATE_PENDING, u["105"].State)
}

// TestInheritance runs under the real syncer: GitLab members of a parent group are members
// of all its subgroups, and members of a subgroup are not members of the parent.
func TestInheritance(t *testing.T) {
	groups := append(tree(),
		// A parent cycle GitLab itself cannot have, to show it cannot hang the sync.
		&fakeGroup{ID: 20, Path: "loop-a", Parent: 21, Members: []fakeMember{{ID: 120, Username: "zed"}}},
		&fakeGroup{ID: 21, Path: "loop-b", Parent: 20})
	f := newFakeGitLab(t, groups...)
	h := providertest.Start(t, testProvider(t, f, Options{}))
	require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, h.Status(t).GetLastResult(), h.Status(t).GetLastError())
	users := h.Users(t)
	require.Equal(t, []string{"1", "2", "3", "4"}, users["101"].GetEffectiveGroupIds(), "alice, in acme, is in every subgroup of acme")
	require.Equal(t, []string{"2", "3"}, users["102"].GetEffectiveGroupIds(), "bob, in acme/platform, is in its subgroup but not in acme")
	require.Equal(t, []string{"3"}, users["103"].GetEffectiveGroupIds(), "carol, in the leaf, is in nothing above it")
	require.Equal(t, []string{"10", "4"}, users["104"].GetEffectiveGroupIds())
	require.Equal(t, []string{"20", "21"}, users["120"].GetEffectiveGroupIds())
	require.Equal(t, []string{"2", "3", "4"}, h.Groups(t)["1"].GetEffectiveGroupIds())
}

func TestGroupsFilter(t *testing.T) {
	f := newFakeGitLab(t, tree()...)
	res, _, err := syncOnce(t, testProvider(t, f, Options{Groups: []string{"acme/platform", "10"}}))
	require.NoError(t, err)
	require.Equal(t, []string{"10", "2", "3"}, providertest.IDs(res.Groups), "by path and by id, with descendants")
	require.Equal(t, []string{"3"}, providertest.ByID(res.Groups)["2"].GroupIds)
	require.Equal(t, map[string]int{"group": 2, "descendant_groups": 2, "members": 3}, f.requests.Counts())

	_, _, err = syncOnce(t, testProvider(t, f, Options{Groups: []string{"acme/nope"}}))
	require.ErrorContains(t, err, `gitlab group "acme/nope": group: HTTP 404 404 Group Not Found`)
}

func TestOptions(t *testing.T) {
	typ := providertest.Type(t, Register, "gitlab")
	token, _ := typ.Option("token")
	require.True(t, token.Secret)
	require.True(t, token.Required)
	u, _ := typ.Option("url")
	require.Equal(t, "https://gitlab.com", u.Default)

	tests := []providertest.OptionsCase{
		{Name: "valid", Options: `{token: x}`},
		{Name: "valid self-managed", Options: `{token: x, url: "https://gitlab.example.com/gitlab", groups: [acme, "42"]}`},
		{Name: "missing token", Options: `{url: "https://gitlab.example.com"}`, WantErr: `option "token": required`},
		{Name: "relative url", Options: `{token: x, url: gitlab.example.com}`, WantErr: `option "url": "gitlab.example.com" is not an absolute http(s) URL`},
		{Name: "api url", Options: `{token: x, url: "https://gitlab.example.com/api/v4"}`, WantErr: `option "url": give the instance URL without /api/v4`},
		{Name: "empty group", Options: `{token: x, groups: [""]}`, WantErr: `option "groups": an empty group path`},
		{Name: "unknown option", Options: `{token: x, private_token: y}`, WantErr: `unknown option "private_token"`},
	}
	providertest.CheckOptions(t, typ, tests)
}

func TestBadTokenFailsTheRun(t *testing.T) {
	f := newFakeGitLab(t, tree()...)
	_, _, err := syncOnce(t, testProvider(t, f, Options{Token: "glpat-wrong"}))
	require.ErrorContains(t, err, "groups: HTTP 401 401 Unauthorized")
	require.NotContains(t, err.Error(), "glpat-wrong")
	require.Equal(t, map[string]int{"unauthorized": 1}, f.requests.Counts(), "a static token is not retried")
}

func TestPagination(t *testing.T) {
	for _, noLink := range []bool{false, true} {
		t.Run(fmt.Sprintf("without Link header %v", noLink), func(t *testing.T) {
			o := bigDirectory(250, 250, 250)
			f := newFakeGitLab(t, o...)
			f.noLink = noLink
			res, pr, err := syncOnce(t, testProvider(t, f, Options{}))
			require.NoError(t, err)
			require.Len(t, res.Groups, 250)
			require.Len(t, res.Users, 250)
			require.Equal(t, minimumRequests(o, true), f.requests.Counts())
			require.Equal(t, 3, f.requests.Counts()["groups"])
			require.Equal(t, 240+10*3, f.requests.Counts()["members"], "ten groups of 250 members take three pages")
			require.Equal(t, 3+270, pr.Requests())
			requireMemberships(t, o, res)

			// The group filter's descendant listing paginates the same way.
			f.requests.Reset()
			res, _, err = syncOnce(t, testProvider(t, f, Options{Groups: []string{"top"}}))
			require.NoError(t, err)
			require.Len(t, res.Groups, 250)
			require.Equal(t, 3, f.requests.Counts()["descendant_groups"], "249 subgroups")
		})
	}
}

func TestRateLimitsRetried(t *testing.T) {
	tests := []struct {
		name, endpoint string
		page, groups   int // groups: enough for the failing page to exist
		reply          fakeReply
		waits          int
	}{
		{"429 with Retry-After seconds", "members", 2, 20, fakeReply{status: 429, header: map[string]string{"Retry-After": "1"},
			body: `{"message":"429 Too Many Requests"}`}, 1},
		{"429 with Retry-After date", "groups", 2, 201, fakeReply{status: 429,
			header: map[string]string{"Retry-After": time.Now().Add(time.Second).UTC().Format(http.TimeFormat)},
			body:   `Retry later`}, 1},
		{"500", "groups", 3, 201, fakeReply{status: 500, body: `{"message":"500 Internal Server Error"}`}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := bigDirectory(250, tt.groups, 220)
			f := newFakeGitLab(t, o...)
			f.failPage(tt.endpoint, tt.page, tt.reply)
			res, pr, err := syncOnce(t, testProvider(t, f, Options{}))
			require.NoError(t, err)
			minimum := 0
			for _, n := range minimumRequests(o, true) {
				minimum += n
			}
			require.Equal(t, minimum+1, pr.Requests(), "one request more than the minimum")
			require.Len(t, pr.Waits(), tt.waits)
			requireMemberships(t, o, res)
		})
	}
}

func TestRateLimitResetHonoured(t *testing.T) {
	f := newFakeGitLab(t, tree()...)
	reset := time.Now().Add(time.Second).Unix()
	f.remaining, f.reset = "0", reset
	p := testProvider(t, f, Options{Options: apiclient.Options{MaxConcurrency: 1}})
	_, pr, err := syncOnce(t, p)
	require.NoError(t, err)
	require.NotEmpty(t, pr.Waits())
	f.mu.Lock()
	defer f.mu.Unlock()
	require.Len(t, f.times, 6)
	for _, at := range f.times[1:] {
		require.False(t, at.Before(time.Unix(reset, 0)), "a request was sent at %s, before RateLimit-Reset", at)
	}
}

// TestFailedRunApplyNothing: a 5xx on page 2 of 3 (members, groups) and a 429 that outlasts
// the wait budget fail the run under the real syncer, change nothing and show in the
// status; the next run succeeds.
func TestFailedRunsApplyNothing(t *testing.T) {
	five := func(status int) []fakeReply {
		var out []fakeReply
		for range 6 {
			out = append(out, fakeReply{status: status, body: `{"message":"` + strconv.Itoa(status) + ` Service Unavailable"}`})
		}
		return out
	}
	tests := []struct {
		name, endpoint string
		groups         int // enough for the failing page to exist
		replies        []fakeReply
		want           string
	}{
		{"5xx on members page 2 of 3", "members/1", 20, five(503), "group members: HTTP 503 503 Service Unavailable"},
		{"5xx on groups page 2 of 3", "groups", 201, five(502), "groups: HTTP 502"},
		{"429 beyond the wait budget", "members/3", 20, []fakeReply{{status: 429, header: map[string]string{"Retry-After": "3600"},
			body: `{"message":"429 Too Many Requests"}`}}, "HTTP 429"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := bigDirectory(250, tt.groups, 220)
			f := newFakeGitLab(t, o...)
			h := providertest.Start(t, testProvider(t, f, Options{}))
			require.Len(t, h.Users(t), 250)
			h.Changes()

			f.mu.Lock()
			g := o[249%tt.groups] // user 249 leaves their only group
			g.Members = slices.DeleteFunc(g.Members, func(m fakeMember) bool { return m.ID == 1249 })
			f.mu.Unlock()
			f.failPage(tt.endpoint, 2, tt.replies...)
			st := h.SyncFails(t, tt.want)
			require.Len(t, h.Users(t), 250)

			st = h.Sync(t)
			require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, st.GetLastResult(), st.GetLastError())
			require.Equal(t, []string{"1249"}, providertest.Deleted(h.Changes(), dirsyncv1.RecordType_RECORD_TYPE_USER))
		})
	}
}

// TestRequestCount5000Users checks that a full sync of 5,000 users in 500 groups makes
// exactly the minimum the API allows: one request per 100 groups, then for each group one
// per 100 direct members (at least one).
func TestRequestCount5000Users(t *testing.T) {
	o := bigDirectory(5000, 500, 320)
	f := newFakeGitLab(t, o...)
	res, pr, err := syncOnce(t, testProvider(t, f, Options{}))
	require.NoError(t, err)
	require.Len(t, res.Users, 5000)
	require.Len(t, res.Groups, 500)
	requireMemberships(t, o, res)
	want := minimumRequests(o, true)
	require.Equal(t, map[string]int{"groups": 5, "members": 490 + 10*4}, want)
	require.Equal(t, want, f.requests.Counts())
	require.Equal(t, 5+530, pr.Requests())
}

// bigDirectory returns groups groups holding users users: user j is a direct member of
// group j % groups, the first ten groups also hold the first large users, group 0 is the
// top and every tenth group is the parent of the nine after it (and a child of group 0).
func bigDirectory(users, groups, large int) []*fakeGroup {
	var out []*fakeGroup
	for i := range groups {
		g := &fakeGroup{ID: int64(1 + i), Path: "top"}
		switch {
		case i == 0:
		case i%10 == 0:
			g.Parent, g.Path = 1, fmt.Sprintf("top/g%03d", i)
		default:
			parent := i - i%10
			g.Parent, g.Path = int64(1+parent), fmt.Sprintf("top/g%03d/g%03d", parent, i)
			if parent == 0 {
				g.Path = fmt.Sprintf("top/g%03d", i)
			}
		}
		out = append(out, g)
	}
	mk := func(j int) fakeMember {
		return fakeMember{ID: int64(1000 + j), Username: fmt.Sprintf("user%04d", j), Name: fmt.Sprintf("User %d", j)}
	}
	for j := range users {
		out[j%groups].Members = append(out[j%groups].Members, mk(j))
	}
	for i := range min(10, groups) {
		for j := range min(large, users) {
			if j%groups != i {
				out[i].Members = append(out[i].Members, mk(j))
			}
		}
	}
	return out
}

// minimumRequests is the fewest requests a full sync of groups can make at 100 per page.
func minimumRequests(groups []*fakeGroup, listing bool) map[string]int {
	out := map[string]int{}
	if listing {
		out["groups"] = providertest.CeilDiv(len(groups), 100)
	}
	for _, g := range groups {
		out["members"] += max(1, providertest.CeilDiv(len(g.Members), 100))
	}
	return out
}

func requireMemberships(t *testing.T, groups []*fakeGroup, res *providers.Result) {
	t.Helper()
	want := map[string][]string{}
	total := 0
	for _, g := range groups {
		for _, m := range g.Members {
			want[strconv.FormatInt(m.ID, 10)] = append(want[strconv.FormatInt(m.ID, 10)], strconv.FormatInt(g.ID, 10))
			total++
		}
	}
	n := 0
	for _, u := range res.Users {
		require.ElementsMatch(t, want[u.Id], u.GroupIds, u.Id)
		n += len(u.GroupIds)
	}
	require.Equal(t, total, n)
}
