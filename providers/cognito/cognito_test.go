package cognito

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/require"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers/apiclient"
	"github.com/dirsync/dirsync/providers/providertest"
)

// fast shortens the client's retry delay so that tests of retries take milliseconds.
func fast(c *apiclient.Config) { c.MinRetryDelay = time.Millisecond }

func newTestProvider(t testing.TB, o Options) *provider {
	t.Helper()
	p, err := newProvider(context.Background(), o, "corp", fast)
	require.NoError(t, err)
	return p
}

// isolateAWS keeps the AWS default credential chain from reading the machine's files,
// environment or instance metadata.
func isolateAWS(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
		"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		t.Setenv(k, "")
	}
}

func TestOptions(t *testing.T) {
	isolateAWS(t)
	typ := providertest.Type(t, Register, "cognito")
	for _, name := range []string{"secret_access_key", "session_token"} {
		o, ok := typ.Option(name)
		require.True(t, ok)
		require.True(t, o.Secret, name)
	}
	for _, name := range []string{"region", "user_pool_id"} {
		o, _ := typ.Option(name)
		require.True(t, o.Required, name)
	}

	tests := []providertest.OptionsCase{
		{Name: "missing region", Options: "{user_pool_id: eu-west-1_Abc}", WantErr: `option "region": required`},
		{Name: "missing pool", Options: "{region: eu-west-1}", WantErr: `option "user_pool_id": required`},
		{Name: "bad region", Options: "{region: Ireland, user_pool_id: eu-west-1_Abc}", WantErr: `option "region": "Ireland" is not an AWS Region`},
		{Name: "bad pool", Options: "{region: eu-west-1, user_pool_id: 'pool 1'}", WantErr: `option "user_pool_id": "pool 1" is not a user pool ID`},
		{Name: "pool in another region", Options: "{region: us-east-1, user_pool_id: eu-west-1_Abc}", WantErr: `option "user_pool_id": pool "eu-west-1_Abc" is not in region "us-east-1"`},
		{Name: "key without secret", Options: "{region: eu-west-1, user_pool_id: eu-west-1_Abc, access_key_id: AKIA1}", WantErr: `option "secret_access_key": required with "access_key_id"`},
		{Name: "secret without key", Options: "{region: eu-west-1, user_pool_id: eu-west-1_Abc, secret_access_key: hunter2}", WantErr: `option "access_key_id": required with "secret_access_key"`},
		{Name: "session token alone", Options: "{region: eu-west-1, user_pool_id: eu-west-1_Abc, session_token: hunter2}", WantErr: `option "session_token": needs "access_key_id"`},
		{Name: "bad endpoint", Options: "{region: eu-west-1, user_pool_id: eu-west-1_Abc, endpoint: 'cognito.local'}", WantErr: `option "endpoint"`},
		{Name: "static keys", Options: "{region: eu-west-1, user_pool_id: eu-west-1_Abc, access_key_id: AKIA1, secret_access_key: hunter2}"},
		{Name: "default chain", Options: "{region: eu-west-1, user_pool_id: eu-west-1_Abc}"},
	}
	providertest.CheckOptions(t, typ, tests, "hunter2")
}

func TestSyncReadsUsersGroupsAndMembers(t *testing.T) {
	f := newFake(t)
	f.users = []fakeUser{
		{Username: "ada", Sub: "sub-ada", Email: "ada@example.com", Given: "Ada", Family: "Lovelace", Status: "CONFIRMED", Enabled: true},
		{Username: "bob", Sub: "sub-bob", Name: "Bob B.", Status: "CONFIRMED", Enabled: false},
		{Username: "cy", Sub: "sub-cy", Status: "FORCE_CHANGE_PASSWORD", Enabled: true},
	}
	f.groups = []fakeGroup{{Name: "admins", Description: "pool admins", Precedence: 1}, {Name: "readers", Precedence: 5}}
	f.members = map[string][]string{"readers": {"ada", "cy"}, "admins": {"ada"}}
	res := providertest.FullSync(t, newTestProvider(t, f.options()))

	require.Len(t, res.Users, 3)
	ada, bob, cy := res.Users[0], res.Users[1], res.Users[2]
	require.Equal(t, "sub-ada", ada.GetId(), "users are keyed by sub")
	require.Equal(t, "ada", ada.GetUsername())
	require.Equal(t, "ada@example.com", ada.GetEmail())
	require.Equal(t, "Ada Lovelace", ada.GetDisplayName())
	require.Equal(t, "Ada", ada.GetGivenName())
	require.Equal(t, "Lovelace", ada.GetFamilyName())
	require.Equal(t, dirsyncv1.UserState_USER_STATE_ACTIVE, ada.GetState())
	require.Equal(t, []string{"admins", "readers"}, ada.GetGroupIds())
	require.Equal(t, "CONFIRMED", ada.GetAttributes().GetFields()["user_status"].GetStringValue())
	require.Equal(t, "Bob B.", bob.GetDisplayName())
	require.Equal(t, dirsyncv1.UserState_USER_STATE_SUSPENDED, bob.GetState())
	require.Empty(t, bob.GetGroupIds())
	require.Equal(t, dirsyncv1.UserState_USER_STATE_PENDING, cy.GetState())
	require.Equal(t, []string{"readers"}, cy.GetGroupIds())

	require.Len(t, res.Groups, 2)
	require.Equal(t, "admins", res.Groups[0].GetId())
	require.Equal(t, "admins", res.Groups[0].GetName())
	require.Equal(t, "pool admins", res.Groups[0].GetDescription())
	require.Equal(t, 1.0, res.Groups[0].GetAttributes().GetFields()["precedence"].GetNumberValue())
	require.Empty(t, res.Groups[0].GetGroupIds(), "Cognito groups do not nest")
}

func TestUserState(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		status  string
		enabled *bool
		want    dirsyncv1.UserState
	}{
		{"CONFIRMED", &yes, dirsyncv1.UserState_USER_STATE_ACTIVE},
		{"EXTERNAL_PROVIDER", &yes, dirsyncv1.UserState_USER_STATE_ACTIVE},
		{"RESET_REQUIRED", &yes, dirsyncv1.UserState_USER_STATE_ACTIVE},
		{"UNCONFIRMED", &yes, dirsyncv1.UserState_USER_STATE_PENDING},
		{"FORCE_CHANGE_PASSWORD", nil, dirsyncv1.UserState_USER_STATE_PENDING},
		{"COMPROMISED", &yes, dirsyncv1.UserState_USER_STATE_SUSPENDED},
		{"CONFIRMED", &no, dirsyncv1.UserState_USER_STATE_SUSPENDED},
		{"UNKNOWN", &yes, dirsyncv1.UserState_USER_STATE_UNSPECIFIED},
	}
	for _, tt := range tests {
		t.Run(tt.status, func(t *testing.T) {
			require.Equal(t, tt.want, userState(&userType{UserStatus: tt.status, Enabled: tt.enabled}))
		})
	}
}

func TestSignatureIsChecked(t *testing.T) {
	f := newFake(t)
	f.directory(3, 1)
	o := f.options()
	o.SecretAccessKey = "not-the-secret-key"
	_, err := newTestProvider(t, o).Sync(context.Background(), nil)
	require.ErrorContains(t, err, "users: HTTP 400 InvalidSignatureException: The request signature we calculated does not match")
	require.NotContains(t, err.Error(), "not-the-secret-key")
	require.Equal(t, 1, f.counts.Count("users"), "an authentication failure is not retried")

	o = f.options()
	o.AccessKeyID = "AKIAUNKNOWNKEY000000"
	_, err = newTestProvider(t, o).Sync(context.Background(), nil)
	require.ErrorContains(t, err, "UnrecognizedClientException")
}

func TestSessionToken(t *testing.T) {
	f := newFake(t)
	f.directory(3, 1)
	f.keys["ASIATEMPORARYKEY0000"] = aws.Credentials{AccessKeyID: "ASIATEMPORARYKEY0000", SecretAccessKey: "temp-secret", SessionToken: "session-1"}
	o := Options{Region: testRegion, UserPoolID: testPool, AccessKeyID: "ASIATEMPORARYKEY0000",
		SecretAccessKey: "temp-secret", SessionToken: "session-1", Endpoint: f.srv.URL}
	require.Len(t, providertest.FullSync(t, newTestProvider(t, o)).Users, 3)

	o.SessionToken = "session-0"
	_, err := newTestProvider(t, o).Sync(context.Background(), nil)
	require.ErrorContains(t, err, "InvalidSignatureException")
}

func TestDefaultCredentialChain(t *testing.T) {
	isolateAWS(t)
	f := newFake(t)
	f.directory(3, 1)
	t.Setenv("AWS_ACCESS_KEY_ID", testKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", testSecret)
	o := f.options()
	o.AccessKeyID, o.SecretAccessKey = "", ""
	require.Len(t, providertest.FullSync(t, newTestProvider(t, o)).Users, 3)
}

func TestPaginationAcrossThreePages(t *testing.T) {
	f := newFake(t)
	f.directory(130, 130) // users and groups: 60+60+10
	var all []string
	for _, u := range f.users {
		all = append(all, u.Username)
	}
	f.members["group-0000"] = all // 3 pages of members
	res := providertest.FullSync(t, newTestProvider(t, f.options()))
	require.Len(t, res.Users, 130)
	require.Len(t, res.Groups, 130)
	require.Equal(t, "group-0129", res.Groups[129].GetId())
	require.Equal(t, []string{"group-0000", "group-0129"}, res.Users[129].GetGroupIds())
	require.Equal(t, []string{"group-0000", "group-0050", "group-0051"}, res.Users[50].GetGroupIds())
	require.Equal(t, 3, f.counts.Count("users"))
	require.Equal(t, 3, f.counts.Count("groups"))
	require.Equal(t, 129+3, f.counts.Count("group members"), "one page per group, three for group-0000")
}

func TestThrottlingIsRetried(t *testing.T) {
	f := newFake(t)
	f.directory(10, 2)
	throttles := 0
	f.setFail(func(op string, page int) (int, string) {
		if op == "groups" && throttles < 2 {
			throttles++
			return http.StatusBadRequest, `{"__type":"TooManyRequestsException","message":"Too many requests"}`
		}
		return 0, ""
	})
	res := providertest.FullSync(t, newTestProvider(t, f.options()))
	require.Len(t, res.Groups, 2)
	require.Equal(t, 3, f.counts.Count("groups"))
}

func TestClientErrorIsNotRetried(t *testing.T) {
	f := newFake(t)
	f.directory(10, 2)
	o := f.options()
	o.UserPoolID = testRegion + "_Missing1"
	_, err := newTestProvider(t, o).Sync(context.Background(), nil)
	require.ErrorContains(t, err, "users: HTTP 400 ResourceNotFoundException: User pool eu-west-1_Missing1 does not exist.")
	require.Equal(t, 1, f.counts.Count("users"))
}

func TestFailedPageAppliesNothingThenRecovers(t *testing.T) {
	f := newFake(t)
	f.directory(130, 3)
	h := providertest.Start(t, newTestProvider(t, f.options()))
	require.Len(t, h.Users(t), 130)
	h.Changes()

	f.mu.Lock()
	f.users = append(f.users, fakeUser{Username: "new", Sub: "sub-new", Status: "CONFIRMED", Enabled: true})
	f.users[0].Email = "changed@example.com"
	f.mu.Unlock()
	f.setFail(func(op string, page int) (int, string) {
		if op == "users" && page == 2 {
			return http.StatusInternalServerError, `{"__type":"InternalErrorException","message":"Internal error"}`
		}
		return 0, ""
	})
	st := h.SyncFails(t, "HTTP 500 InternalErrorException")
	require.Equal(t, "user0@example.com", h.Users(t)["sub-00000"].GetEmail())

	f.setFail(nil)
	st = h.Sync(t)
	require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, st.GetLastResult())
	require.Equal(t, []string{"sub-00000", "sub-new"}, providertest.Upserted(h.Changes(), dirsyncv1.RecordType_RECORD_TYPE_USER))
}

// TestRequestCount is the request budget: a 5,000-user, 500-group pool costs
// ceil(5000/60) user pages, ceil(500/60) group pages and one member listing per group
// (20 members each: one page).
func TestRequestCount(t *testing.T) {
	f := newFake(t)
	f.directory(5000, 500)
	res := providertest.FullSync(t, newTestProvider(t, f.options()))
	require.Len(t, res.Users, 5000)
	require.Len(t, res.Groups, 500)
	require.Equal(t, 84, f.counts.Count("users"))
	require.Equal(t, 9, f.counts.Count("groups"))
	require.Equal(t, 500, f.counts.Count("group members"))
	require.Equal(t, 84+9+500, minimumRequests(5000, 500, 20))
}

// minimumRequests is the fewest requests a full read costs with members per group.
func minimumRequests(users, groups, members int) int {
	pages := func(n int) int { return max(1, (n+pageLimit-1)/pageLimit) }
	return pages(users) + pages(groups) + groups*pages(members)
}

func TestDefaultEndpoint(t *testing.T) {
	require.Equal(t, "https://cognito-idp.eu-west-1.amazonaws.com/", defaultEndpoint("eu-west-1"))
	require.Equal(t, "https://cognito-idp.cn-north-1.amazonaws.com.cn/", defaultEndpoint("cn-north-1"))
}
