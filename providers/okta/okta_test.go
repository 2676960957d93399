package okta

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/providertest"
)

func TestOptions(t *testing.T) {
	typ := providertest.Type(t, Register, "okta")
	for _, name := range []string{"url", "api_token", "client_id", "private_key", "key_id", "ca_file", "max_concurrency"} {
		_, ok := typ.Option(name)
		require.True(t, ok, name)
	}
	for _, name := range []string{"api_token", "private_key"} {
		o, _ := typ.Option(name)
		require.True(t, o.Secret, name)
	}
	jwk, pemText := jwkKey(t, "k1"), pemKey(t)
	quote := func(s string) string { return fmt.Sprintf("%q", s) }
	providertest.CheckOptions(t, typ, []providertest.OptionsCase{
		{Name: "api token", Options: "url: https://example.okta.com\napi_token: s3cret-value"},
		{Name: "service app JWK", Options: "url: https://example.okta.com/\nclient_id: 0oa1\nprivate_key: " + quote(jwk)},
		{Name: "service app PEM with kid", Options: "url: https://example.okta.com\nclient_id: 0oa1\nkey_id: k1\nprivate_key: " + quote(pemText)},
		{Name: "loopback http", Options: "url: http://127.0.0.1:8080\napi_token: s3cret-value"},
		{Name: "no url", Options: "api_token: s3cret-value", WantErr: `option "url": required`},
		{Name: "no auth", Options: "url: https://example.okta.com", WantErr: `give option "api_token", or options "client_id" and "private_key"`},
		{Name: "both", Options: "url: https://example.okta.com\napi_token: s3cret-value\nclient_id: 0oa1\nprivate_key: " + quote(jwk), WantErr: `options "api_token" and "client_id"/"private_key": give one way`},
		{Name: "client id alone", Options: "url: https://example.okta.com\nclient_id: 0oa1", WantErr: `option "private_key": required with "client_id"`},
		{Name: "key alone", Options: "url: https://example.okta.com\nprivate_key: " + quote(jwk), WantErr: `option "client_id": required with "private_key"`},
		{Name: "bad key", Options: "url: https://example.okta.com\nclient_id: 0oa1\nprivate_key: s3cret-value", WantErr: `option "private_key": neither PEM nor JWK`},
		{Name: "key id with token", Options: "url: https://example.okta.com\napi_token: s3cret-value\nkey_id: k1", WantErr: `option "key_id": only used with`},
		{Name: "plain http", Options: "url: http://example.okta.com\napi_token: s3cret-value", WantErr: `option "url": must use https`},
		{Name: "api path", Options: "url: https://example.okta.com/api/v1\napi_token: s3cret-value", WantErr: `option "url": must be the org URL alone`},
		{Name: "not a url", Options: "url: example.okta.com\napi_token: s3cret-value", WantErr: `option "url": must be an absolute https URL`},
	}, "s3cret", "PRIVATE KEY")
}

func TestAPITokenAuth(t *testing.T) {
	f := newFakeOkta(t)
	f.addGroup("00g1", "Engineering", "Builds things")
	f.addUser("00u1", "ACTIVE", "00g1")
	p := newTest(t, f, tokenAuth(f))
	res := syncOnce(t, p, nil)
	require.True(t, res.Full)
	require.Equal(t, []string{"00u1"}, providertest.IDs(res.Users))
	require.Equal(t, map[string]int{"users": 1, "groups": 1, "group members": 1}, f.requests.Reset())

	// A wrong token is final: one request, an error naming Okta's code, never the token.
	p = newTest(t, f, Options{APIToken: "wrong-token-value"})
	_, err := p.Sync(context.Background(), nil)
	require.ErrorContains(t, err, "HTTP 401 E0000011: Invalid token provided")
	require.NotContains(t, err.Error(), "wrong-token-value")
	require.LessOrEqual(t, f.requests.Reset()["users"], 1)
}

func TestServiceAppAuth(t *testing.T) {
	for _, keyForm := range []string{"jwk", "pem"} {
		t.Run(keyForm, func(t *testing.T) {
			f := newFakeOkta(t)
			f.addGroup("00g1", "Engineering", "")
			for i := range 5 {
				f.addUser(fmt.Sprintf("00u%d", i), "ACTIVE", "00g1")
			}
			o := appAuth(t, f)
			if keyForm == "pem" {
				o.PrivateKey, o.KeyID = pemKey(t), f.kid
			}
			p := newTest(t, f, o)
			// The token is revoked after two API requests: the third gets a 401, the
			// client fetches a new token once, and the run goes on.
			f.revokeAfter = 2
			res := syncOnce(t, p, nil)
			require.Len(t, res.Users, 5)
			require.Equal(t, []string{"00g1"}, res.Users[0].GroupIds)
			counts := f.requests.Reset()
			require.Equal(t, 2, counts["token"])
			require.Equal(t, 4, counts["users"]+counts["groups"]+counts["group members"], "three API reads plus the one refused")
			require.Len(t, f.assertions, 2)
			for _, a := range f.assertions {
				require.Equal(t, assertion{kid: "dirsync-1", alg: "RS256", scopes: []string{"okta.users.read", "okta.groups.read"}}, a)
			}
			// The cached token serves the next run: no token request.
			syncOnce(t, p, res.Cursor)
			require.Zero(t, f.requests.Reset()["token"])
		})
	}
}

func TestServiceAppAuthErrors(t *testing.T) {
	f := newFakeOkta(t)
	o := appAuth(t, f)
	f.kid = "another-key" // the app has a different key registered
	p := newTest(t, f, o)
	_, err := p.Sync(context.Background(), nil)
	require.ErrorContains(t, err, "token request: HTTP 400 invalid_client: The client_assertion signature is invalid (unknown kid).")
	require.Equal(t, 1, f.requests.Reset()["token"], "token errors are not retried")
}

func TestPagination(t *testing.T) {
	f := newFakeOkta(t)
	// 450 groups and 450 users: three pages each; group 00g000 has every user as a
	// member (three member pages), the others one member each.
	for i := range 450 {
		f.addGroup(fmt.Sprintf("00g%03d", i), fmt.Sprintf("Group %d", i), "")
	}
	for i := range 450 {
		f.addUser(fmt.Sprintf("00u%03d", i), "ACTIVE", "00g000", fmt.Sprintf("00g%03d", (i+1)%450))
	}
	p := newTest(t, f, tokenAuth(f))
	res := syncOnce(t, p, nil)
	require.Len(t, res.Users, 450)
	require.Len(t, res.Groups, 450)
	users := providertest.ByID(res.Users)
	require.Equal(t, []string{"00g000", "00g002"}, users["00u001"].GroupIds)
	require.Equal(t, []string{"00g000"}, users["00u449"].GroupIds)
	require.Equal(t, map[string]int{"users": 3, "groups": 3, "group members": 3 + 449}, f.requests.Reset())
}

func TestRecords(t *testing.T) {
	f := newFakeOkta(t)
	f.addGroup("00g1", "Engineering", "Builds things")
	statuses := map[string]dirsyncv1.UserState{
		"ACTIVE": dirsyncv1.UserState_USER_STATE_ACTIVE, "PASSWORD_EXPIRED": dirsyncv1.UserState_USER_STATE_ACTIVE,
		"RECOVERY": dirsyncv1.UserState_USER_STATE_ACTIVE, "LOCKED_OUT": dirsyncv1.UserState_USER_STATE_SUSPENDED,
		"SUSPENDED": dirsyncv1.UserState_USER_STATE_SUSPENDED, "STAGED": dirsyncv1.UserState_USER_STATE_PENDING,
		"PROVISIONED": dirsyncv1.UserState_USER_STATE_PENDING,
	}
	for s := range statuses {
		f.addUser(strings.ToLower(s), s, "00g1")
	}
	f.addUser("gone", "DEPROVISIONED", "00g1")
	p := newTest(t, f, tokenAuth(f))
	res := syncOnce(t, p, nil)
	users := providertest.ByID(res.Users)
	require.Len(t, users, len(statuses), "deactivated users are left out")
	for s, want := range statuses {
		u := users[strings.ToLower(s)]
		require.Equal(t, want, u.State, s)
		require.Equal(t, s, u.Attributes.Fields["status"].GetStringValue())
	}
	u := users["active"]
	require.Equal(t, "First active Last active", u.DisplayName)
	require.Equal(t, "active@example.com", u.Email)
	require.Equal(t, "active@example.com", u.Username)
	require.Equal(t, "First active", u.GivenName)
	require.Equal(t, "Last active", u.FamilyName)
	require.Equal(t, []string{"00g1"}, u.GroupIds)
	g := res.Groups[0]
	require.Equal(t, "Engineering", g.Name)
	require.Equal(t, "Builds things", g.Description)
	require.Equal(t, "OKTA_GROUP", g.Attributes.Fields["type"].GetStringValue())
}

func TestRateLimited(t *testing.T) {
	for _, tc := range []struct {
		name   string
		header map[string]string
		reset  int
	}{
		{"Retry-After", map[string]string{"Retry-After": "1"}, 1},
		{"X-Rate-Limit-Reset", nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeOkta(t)
			f.addGroup("00g1", "Engineering", "")
			for i := range 250 {
				f.putUser(fmt.Sprintf("00u%03d", i))
			}
			f.inject(&fault{endpoint: "users", nth: 2, times: 1, status: http.StatusTooManyRequests,
				code: "E0000047", msg: "API call exceeded rate limit due to too many requests.", header: tc.header, resetInSecs: tc.reset})
			p := newTest(t, f, tokenAuth(f))
			prog := &providertest.Progress{}
			res, err := p.Sync(providers.WithProgress(context.Background(), prog), nil)
			require.NoError(t, err)
			require.Len(t, res.Users, 250)
			require.Equal(t, 3, f.requests.Reset()["users"], "page 1, the 429 and its retry")
			require.NotEmpty(t, prog.Waits(), "the wait is reported to the syncer")
			require.Equal(t, 5, prog.Requests())
		})
	}
}

func TestServerErrorFailsTheRun(t *testing.T) {
	f := newFakeOkta(t)
	f.addGroup("00g1", "Engineering", "")
	for i := range 450 {
		f.putUser(fmt.Sprintf("00u%03d", i))
	}
	f.inject(&fault{endpoint: "users", nth: 2, times: 1000, status: http.StatusServiceUnavailable,
		code: "E0000009", msg: "Internal Server Error"})
	p := newTest(t, f, tokenAuth(f))
	h := providertest.Start(t, p)

	st := h.Status(t)
	require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_FAILURE, st.GetLastResult())
	require.Contains(t, st.GetLastError(), "users: HTTP 503 E0000009: Internal Server Error")
	require.Empty(t, h.Changes())
	require.Empty(t, h.Users(t))

	f.clearFaults()
	st = h.Sync(t)
	require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, st.GetLastResult(), st.GetLastError())
	require.Len(t, providertest.Upserted(h.Changes(), dirsyncv1.RecordType_RECORD_TYPE_USER), 450)
}
