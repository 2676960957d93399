package google

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/apiclient"
	"github.com/dirsync/dirsync/providers/providertest"
)

var (
	userRec  = dirsyncv1.RecordType_RECORD_TYPE_USER
	groupRec = dirsyncv1.RecordType_RECORD_TYPE_GROUP
)

// fastRetries keeps retry backoff short; waits asked by the server (Retry-After) still hold.
func fastRetries(c *apiclient.Config) { c.MinRetryDelay = time.Millisecond }

// options are the options of a directory reading f.
func (f *fake) options() Options {
	return Options{ServiceAccountKey: f.keyJSON, ImpersonateUser: f.subject, Customer: "my_customer",
		APIURL: f.srv.URL, Options: apiclient.Options{MaxConcurrency: 4}}
}

func (f *fake) provider(t testing.TB, edit func(*Options)) *provider {
	t.Helper()
	o := f.options()
	if edit != nil {
		edit(&o)
	}
	p, err := newProvider(o, providertest.Dir, fastRetries)
	require.NoError(t, err)
	return p
}

// smallDirectory fills f with a directory that pages at least three times per listing
// when f.pageLimit is 2. Memberships:
//
//	eng (g1):      u1 u2 u5 u6 u7, group a
//	everyone (g2): the whole customer (CUSTOMER member)
//	a (g3):        u4, group c        b (g4): group a        c (g5): group b   (a cycle)
//	partners (g6): u1, ext1 (outside the domain), group extg (outside the domain)
func smallDirectory(f *fake) {
	f.users = []fakeUser{
		{ID: "u1", Email: "alice@example.com", Given: "Alice", Family: "Archer"},
		{ID: "u2", Email: "bob@example.com", Given: "Bob", Family: "Baker", Suspended: true},
		{ID: "u3", Email: "carol@example.com", Given: "Carol", Family: "Cook", Archived: true},
		{ID: "u4", Email: "dave@example.com", Given: "Dave", Family: "Diaz"},
		{ID: "u5", Email: "erin@example.com", Given: "Erin", Family: "Evans"},
		{ID: "u6", Email: "frank@example.com", Given: "Frank", Family: "Fox"},
		{ID: "u7", Email: "admin@example.com", Given: "Ada", Family: "Admin"},
	}
	f.groups = []fakeGroup{
		{ID: "g1", Email: "eng@example.com", Name: "Engineering", Description: "All engineers"},
		{ID: "g2", Email: "everyone@example.com", Name: "Everyone"},
		{ID: "g3", Email: "a@example.com", Name: "A"},
		{ID: "g4", Email: "b@example.com", Name: "B"},
		{ID: "g5", Email: "c@example.com", Name: "C"},
		{ID: "g6", Email: "partners@example.com", Name: "Partners"},
	}
	user := func(id, email string) fakeMember { return fakeMember{ID: id, Email: email, Type: "USER"} }
	group := func(id, email string) fakeMember { return fakeMember{ID: id, Email: email, Type: "GROUP"} }
	f.members = map[string][]fakeMember{
		"g1": {user("u1", "alice@example.com"), user("u2", "bob@example.com"), user("u5", "erin@example.com"),
			user("u6", "frank@example.com"), user("u7", "admin@example.com"), group("g3", "a@example.com")},
		"g2": {{ID: f.customerID, Type: "CUSTOMER"}},
		"g3": {user("u4", "dave@example.com"), group("g5", "c@example.com")},
		"g4": {group("g3", "a@example.com")},
		"g5": {group("g4", "b@example.com")},
		"g6": {user("u1", "alice@example.com"), user("ext1", "pat@partner.example"), group("extg", "team@partner.example")},
	}
}

func TestSyncReadsTheDirectory(t *testing.T) {
	f := newFake(t)
	f.pageLimit = 2
	smallDirectory(f)
	h := providertest.Start(t, f.provider(t, nil))

	st := h.Status(t)
	require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, st.GetLastResult(), st.GetLastError())
	require.True(t, st.GetLastFull())

	// Exactly one token, then every listing paged to its end with the largest page size.
	require.Equal(t, 1, f.counts.Count("token"))
	require.Equal(t, 4, f.counts.Count("users"))                   // 7 users, 2 a page
	require.Equal(t, 3, f.counts.Count("groups"))                  // 6 groups
	require.Equal(t, 3+1+1+1+1+2, f.counts.Count("group members")) // g1 has 6 members, g6 3
	q, err := url.ParseQuery(f.query("users"))
	require.NoError(t, err)
	require.Equal(t, "my_customer", q.Get("customer"))
	require.Equal(t, "500", q.Get("maxResults"))
	require.Equal(t, "basic", q.Get("projection"))
	require.NotEmpty(t, q.Get("pageToken"))
	q, err = url.ParseQuery(f.query("groups"))
	require.NoError(t, err)
	require.Equal(t, "200", q.Get("maxResults"))
	require.Equal(t, "my_customer", q.Get("customer"))

	users, groups := h.Users(t), h.Groups(t)
	require.Len(t, users, 8)
	alice := users["u1"]
	require.Equal(t, "alice@example.com", alice.GetEmail())
	require.Equal(t, "alice@example.com", alice.GetUsername())
	require.Equal(t, "Alice Archer", alice.GetDisplayName())
	require.Equal(t, "Alice", alice.GetGivenName())
	require.Equal(t, "Archer", alice.GetFamilyName())
	require.Equal(t, dirsyncv1.UserState_USER_STATE_ACTIVE, alice.GetState())
	require.Equal(t, "/", alice.GetAttributes().GetFields()["org_unit_path"].GetStringValue())
	require.Equal(t, dirsyncv1.UserState_USER_STATE_SUSPENDED, users["u2"].GetState())
	require.Equal(t, dirsyncv1.UserState_USER_STATE_SUSPENDED, users["u3"].GetState())
	require.True(t, users["u3"].GetAttributes().GetFields()["archived"].GetBoolValue())
	require.True(t, users["u7"].GetAttributes().GetFields()["is_admin"].GetBoolValue())

	for id, want := range map[string][]string{
		"u1": {"g1", "g2", "g6"}, "u2": {"g1", "g2"}, "u3": {"g2"}, "u4": {"g2", "g3"}, "ext1": {"g6"},
	} {
		require.Equal(t, want, users[id].GetGroupIds(), id)
	}
	// Nested groups through the cycle a → b → c → a, and a inside eng.
	require.Equal(t, []string{"g1", "g2", "g3", "g4", "g5"}, users["u4"].GetEffectiveGroupIds())
	require.Equal(t, []string{"g1", "g2", "g6"}, users["u1"].GetEffectiveGroupIds())
	require.Equal(t, []string{"g1", "g4"}, groups["g3"].GetGroupIds())
	require.Equal(t, []string{"g5"}, groups["g4"].GetGroupIds())
	require.Equal(t, []string{"g3"}, groups["g5"].GetGroupIds())
	require.Equal(t, []string{"g1", "g3", "g5"}, groups["g4"].GetEffectiveGroupIds()) // never itself
	require.Equal(t, []string{"g1", "g4", "g5"}, groups["g3"].GetEffectiveGroupIds())

	// Members from outside the domain are kept with what the member listing says.
	ext := users["ext1"]
	require.Equal(t, "pat@partner.example", ext.GetEmail())
	require.Equal(t, dirsyncv1.UserState_USER_STATE_UNSPECIFIED, ext.GetState())
	require.True(t, ext.GetAttributes().GetFields()["external"].GetBoolValue())
	require.Equal(t, []string{"g6"}, groups["extg"].GetGroupIds())
	require.Equal(t, "team@partner.example", groups["extg"].GetEmail())
	require.True(t, groups["extg"].GetAttributes().GetFields()["external"].GetBoolValue())

	require.Equal(t, "Engineering", groups["g1"].GetName())
	require.Equal(t, "eng@example.com", groups["g1"].GetEmail())
	require.Equal(t, "All engineers", groups["g1"].GetDescription())
	require.Len(t, groups, 7)

	// A second run of an unchanged directory changes nothing and reuses the token.
	h.Changes()
	st = h.Sync(t)
	require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, st.GetLastResult(), st.GetLastError())
	require.Empty(t, h.Changes())
	require.Equal(t, 1, f.counts.Count("token"))
}

func TestDomainReplacesCustomer(t *testing.T) {
	f := newFake(t)
	smallDirectory(f)
	f.users = append(f.users, fakeUser{ID: "u9", Email: "zed@subsidiary.example", Given: "Zed"})
	res, err := f.provider(t, func(o *Options) { o.Domain = "example.com" }).Sync(context.Background(), nil)
	require.NoError(t, err)
	require.True(t, res.Full)
	for _, ep := range []string{"users", "groups"} {
		q, err := url.ParseQuery(f.query(ep))
		require.NoError(t, err)
		require.Equal(t, "example.com", q.Get("domain"), ep)
		require.False(t, q.Has("customer"), ep)
	}
	ids := []string{}
	for _, u := range res.Users {
		ids = append(ids, u.GetId())
	}
	require.NotContains(t, ids, "u9")
	require.Contains(t, ids, "u1")
}

// A token revoked mid-run: the API answers 401, the client fetches one new token and the
// run goes on. One request at a time, so exactly one request sees the 401.
func TestUnauthorizedMidRunRefetchesTokenOnce(t *testing.T) {
	f := newFake(t)
	f.pageLimit = 2
	smallDirectory(f)
	f.addFault(&fault{endpoint: "users", page: 3, times: 1, revoke: true})
	h := providertest.Start(t, f.provider(t, func(o *Options) { o.MaxConcurrency = 1 }))
	st := h.Status(t)
	require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, st.GetLastResult(), st.GetLastError())
	require.Equal(t, 2, f.counts.Count("token"))
	require.Equal(t, 5, f.counts.Count("users")) // 4 pages and the one that met the 401
	require.Len(t, h.Users(t), 8)
}

func TestTokenRequest(t *testing.T) {
	for _, tc := range []struct {
		name    string
		edit    func(f *fake, o *Options)
		wantErr string
	}{
		{name: "token_url overrides the key's token_uri", edit: func(f *fake, o *Options) {
			o.ServiceAccountKey = f.serviceAccountKey("https://oauth2.googleapis.com/token")
			o.TokenURL = f.srv.URL + "/token"
		}},
		{name: "not delegated for this user", edit: func(f *fake, o *Options) { o.ImpersonateUser = "someone@example.com" },
			wantErr: "token request: HTTP 401 unauthorized_client: Client is unauthorized to retrieve access tokens"},
		{name: "another key", edit: func(f *fake, o *Options) {
			other, err := rsa.GenerateKey(rand.Reader, 2048)
			require.NoError(t, err)
			o.ServiceAccountKey = f.keyJSONWith(other, f.srv.URL+"/token")
		}, wantErr: "token request: HTTP 400 invalid_grant: Invalid JWT Signature."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			smallDirectory(f)
			p := f.provider(t, func(o *Options) { tc.edit(f, o) })
			res, err := p.Sync(context.Background(), nil)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				require.NotContains(t, err.Error(), "PRIVATE KEY")
				require.Zero(t, f.counts.Count("users")+f.counts.Count("groups")) // nothing reaches the API
				return
			}
			require.NoError(t, err)
			require.Len(t, res.Users, 8)
			require.Equal(t, 1, f.counts.Count("token"))
		})
	}
}

func TestRateLimits(t *testing.T) {
	quota := func(reason string) *fault {
		return &fault{status: http.StatusForbidden, body: googleErrorBody(403, "Quota exceeded for quota metric", reason), times: 1}
	}
	for _, tc := range []struct {
		name     string
		endpoint string
		fault    *fault
		wantErr  string // empty: the run succeeds after waiting
	}{
		{name: "429 Retry-After seconds", endpoint: "groups", fault: &fault{status: http.StatusTooManyRequests, times: 1,
			header: http.Header{"Retry-After": {"1"}}, body: googleErrorBody(429, "Rate Limit Exceeded", "rateLimitExceeded")}},
		{name: "403 quotaExceeded", endpoint: "group members", fault: quota("quotaExceeded")},
		{name: "403 userRateLimitExceeded", endpoint: "users", fault: quota("userRateLimitExceeded")},
		{name: "403 dailyLimitExceeded is final", endpoint: "users", fault: quota("dailyLimitExceeded"),
			wantErr: "users: HTTP 403 dailyLimitExceeded: Quota exceeded"},
		{name: "403 forbidden is final", endpoint: "groups", fault: &fault{status: http.StatusForbidden, times: -1,
			body: googleErrorBody(403, "Not Authorized to access this resource/api", "forbidden")},
			wantErr: "groups: HTTP 403 forbidden: Not Authorized to access this resource/api"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			f.pageLimit = 2
			smallDirectory(f)
			tc.fault.endpoint, tc.fault.page = tc.endpoint, 2
			if tc.endpoint == "group members" {
				tc.fault.page = 1
			}
			f.addFault(tc.fault)
			h := providertest.Start(t, f.provider(t, nil))
			st := h.Status(t)
			if tc.wantErr != "" {
				require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_FAILURE, st.GetLastResult())
				require.Contains(t, st.GetLastError(), tc.wantErr)
				require.Zero(t, st.GetRateLimitWaits())
				require.Empty(t, h.Users(t))
				return
			}
			require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, st.GetLastResult(), st.GetLastError())
			require.EqualValues(t, 1, st.GetRateLimitWaits())
			require.Len(t, h.Users(t), 8)
			require.Len(t, h.Groups(t), 7)
		})
	}
}

// A page that keeps failing fails the run: nothing is applied and the status says why;
// the next run applies everything that changed.
func TestFailedPageAppliesNothing(t *testing.T) {
	for _, endpoint := range []string{"users", "groups", "group members"} {
		t.Run(endpoint, func(t *testing.T) {
			f := newFake(t)
			f.pageLimit = 2
			smallDirectory(f)
			h := providertest.Start(t, f.provider(t, nil))
			h.Changes()

			f.mu.Lock()
			f.users = append(f.users[:6:6], fakeUser{ID: "u8", Email: "gina@example.com", Given: "Gina"}) // u7 left, u8 came
			f.users[0].Suspended = true
			g1 := f.members["g1"] // u7 leaves its groups with the account
			f.members["g1"] = append(g1[:4:4], g1[5], fakeMember{ID: "u8", Email: "gina@example.com", Type: "USER"})
			f.mu.Unlock()
			f.addFault(&fault{endpoint: endpoint, page: 2, times: -1, status: http.StatusServiceUnavailable,
				body: googleErrorBody(503, "The service is currently unavailable.", "backendError")})

			st := h.SyncFails(t, endpoint+": HTTP 503 backendError")
			require.Contains(t, h.Users(t), "u7")
			require.Equal(t, dirsyncv1.UserState_USER_STATE_ACTIVE, h.Users(t)["u1"].GetState())

			f.clearFaults()
			st = h.Sync(t)
			require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, st.GetLastResult(), st.GetLastError())
			changes := h.Changes()
			require.Equal(t, []string{"u7"}, providertest.Deleted(changes, userRec))
			require.Equal(t, []string{"u1", "u8"}, providertest.Upserted(changes, userRec))
			require.Empty(t, providertest.Upserted(changes, groupRec))
			require.Equal(t, dirsyncv1.UserState_USER_STATE_SUSPENDED, h.Users(t)["u1"].GetState())
			require.Equal(t, []string{"g1", "g2"}, h.Users(t)["u8"].GetGroupIds())
		})
	}
}

func TestOptions(t *testing.T) {
	f := newFake(t)
	keyFile := filepath.Join(t.TempDir(), "key.json")
	require.NoError(t, os.WriteFile(keyFile, []byte(f.keyJSON+"\n"), 0o600))
	typ := providertest.Type(t, Register, "google")

	providertest.CheckOptions(t, typ, []providertest.OptionsCase{
		{Name: "key inline", Options: map[string]any{"service_account_key": f.keyJSON, "impersonate_user": "admin@example.com"}},
		{Name: "key file", Options: map[string]any{"service_account_key_file": keyFile, "impersonate_user": "admin@example.com",
			"domain": "example.com", "api_url": f.srv.URL, "token_url": f.srv.URL + "/token", "max_concurrency": 8}},
		{Name: "no key", Options: map[string]any{"impersonate_user": "admin@example.com"},
			WantErr: `option "service_account_key": required`},
		{Name: "no user", Options: map[string]any{"service_account_key": f.keyJSON},
			WantErr: `option "impersonate_user": required`},
		{Name: "user not an email", Options: map[string]any{"service_account_key": f.keyJSON, "impersonate_user": "admin"},
			WantErr: `option "impersonate_user": "admin" is not an email address`},
		{Name: "key not JSON", Options: map[string]any{"service_account_key": "-----BEGIN PRIVATE KEY-----", "impersonate_user": "a@b.c"},
			WantErr: `option "service_account_key": not a JSON service account key`},
		{Name: "key of a user", Options: map[string]any{"service_account_key": `{"type":"authorized_user","client_secret":"s3cret"}`, "impersonate_user": "a@b.c"},
			WantErr: `option "service_account_key": not a service account key`},
		{Name: "key without private key", Options: map[string]any{"service_account_key": `{"type":"service_account","client_email":"x@y.z"}`, "impersonate_user": "a@b.c"},
			WantErr: `option "service_account_key": the key has no "private_key"`},
		{Name: "key with a broken private key", Options: map[string]any{"service_account_key": `{"type":"service_account","client_email":"x@y.z","private_key":"-----BEGIN PRIVATE KEY-----\ns3cret\n-----END PRIVATE KEY-----\n"}`, "impersonate_user": "a@b.c"},
			WantErr: `option "service_account_key": the key's "private_key" is not a PEM private key`},
		{Name: "bad api_url", Options: map[string]any{"service_account_key": f.keyJSON, "impersonate_user": "a@b.c", "api_url": "admin.googleapis.com"},
			WantErr: `option "api_url": "admin.googleapis.com" is not an absolute http(s) URL`},
		{Name: "bad token_url", Options: map[string]any{"service_account_key": f.keyJSON, "impersonate_user": "a@b.c", "token_url": "/token"},
			WantErr: `option "token_url": "/token" is not an absolute http(s) URL`},
		{Name: "unknown option", Options: map[string]any{"service_account_key": f.keyJSON, "impersonate_user": "a@b.c", "admin_email": "a@b.c"},
			WantErr: `unknown option "admin_email"`},
	}, "s3cret", "PRIVATE KEY")

	schema := map[string]providers.Option{}
	for _, o := range typ.Options {
		schema[o.Name] = o
	}
	require.True(t, schema["service_account_key"].Secret)
	require.True(t, schema["service_account_key"].Required)
	require.True(t, schema["impersonate_user"].Required)
	require.Equal(t, "my_customer", schema["customer"].Default)
	require.Equal(t, "https://admin.googleapis.com", schema["api_url"].Default)
	require.Contains(t, schema, "ca_file")
}

// bigDirectory fills f with n users and m groups. Most groups have at most 60 user
// members; every tenth has (i*53)%450 (up to three member pages) and the next group as a
// member. It returns the fewest requests a full sync can make: one token, ceil(n/500)
// user pages, ceil(m/200) group pages and, per group, ceil(members/200) member pages (at
// least one).
func bigDirectory(f *fake, n, m int) (minimum map[string]int) {
	f.users = make([]fakeUser, n)
	for i := range f.users {
		f.users[i] = fakeUser{ID: fmt.Sprintf("1%08d", i), Email: fmt.Sprintf("user%d@example.com", i),
			Given: "User", Family: strconv.Itoa(i), Suspended: i%97 == 0}
	}
	f.groups = make([]fakeGroup, m)
	f.members = map[string][]fakeMember{}
	minimum = map[string]int{"token": 1, "users": providertest.CeilDiv(n, 500), "groups": providertest.CeilDiv(m, 200)}
	for i := range f.groups {
		g := fakeGroup{ID: fmt.Sprintf("0g%06d", i), Email: fmt.Sprintf("group%d@example.com", i), Name: fmt.Sprintf("Group %d", i)}
		f.groups[i] = g
		var ms []fakeMember
		size := (i * 7) % 61 // most groups are small (some empty),
		if i%10 == 0 {
			size = (i * 53) % 450 // some span up to three pages
		}
		for j := range size {
			u := f.users[(i*37+j)%n]
			ms = append(ms, fakeMember{ID: u.ID, Email: u.Email, Type: "USER"})
		}
		if i%10 == 0 && i+1 < m {
			ms = append(ms, fakeMember{ID: fmt.Sprintf("0g%06d", i+1), Email: fmt.Sprintf("group%d@example.com", i+1), Type: "GROUP"})
		}
		f.members[g.ID] = ms
		minimum["group members"] += max(1, providertest.CeilDiv(len(ms), 200))
	}
	return minimum
}

// A full sync of 10,000 users and 1,000 groups makes exactly the fewest requests the API
// allows, and reads everything.
func TestRequestCount(t *testing.T) {
	f := newFake(t)
	minimum := bigDirectory(f, 10_000, 1_000)
	res, err := f.provider(t, nil).Sync(context.Background(), nil)
	require.NoError(t, err)
	for endpoint, want := range minimum {
		require.Equal(t, want, f.counts.Count(endpoint), endpoint)
	}
	t.Logf("requests: %v", minimum)

	require.True(t, res.Full)
	require.Len(t, res.Users, 10_000)
	require.Len(t, res.Groups, 1_000)
	memberships := 0
	for _, u := range res.Users {
		memberships += len(u.GetGroupIds())
	}
	want := 0
	for _, ms := range f.members {
		for _, m := range ms {
			if m.Type == "USER" {
				want++
			}
		}
	}
	require.Equal(t, want, memberships)
	require.Equal(t, []string{"0g000000"}, res.Groups[1].GetGroupIds())
	pages := map[int]int{} // groups by member pages
	for _, ms := range f.members {
		pages[providertest.CeilDiv(len(ms), 200)]++
	}
	require.Positive(t, pages[0]) // an empty group still takes a request
	require.Positive(t, pages[3])
	require.Equal(t, dirsyncv1.UserState_USER_STATE_SUSPENDED, res.Users[0].GetState())
}
