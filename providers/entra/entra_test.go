package entra

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/apiclient"
	"github.com/dirsync/dirsync/providers/providertest"
)

const (
	userType  = dirsyncv1.RecordType_RECORD_TYPE_USER
	groupType = dirsyncv1.RecordType_RECORD_TYPE_GROUP
)

// newTestProvider returns a provider for o that retries quickly.
func newTestProvider(t testing.TB, o Options) *provider {
	t.Helper()
	p, err := newProvider(o, providers.Deps{Directory: providertest.Dir}, func(c *apiclient.Config) {
		c.MinRetryDelay = time.Millisecond
		c.MaxAttempts = 3
	})
	require.NoError(t, err)
	return p
}

func user(name string, enabled bool) map[string]any {
	return map[string]any{"displayName": name, "givenName": name, "surname": "Example",
		"mail": name + "@contoso.com", "userPrincipalName": name + "@contoso.com", "accountEnabled": enabled}
}

func group(name string) map[string]any {
	return map[string]any{"displayName": name, "description": name + " team", "mail": name + "@contoso.com"}
}

// seed gives f three users and two groups: g1 = {u1, u2}, g2 = {u2, u3}.
func seed(f *fakeEntra) {
	for _, id := range []string{"u1", "u2", "u3"} {
		f.putUser(id, user(id, true))
	}
	f.putGroup("g1", group("g1"))
	f.putGroup("g2", group("g2"))
	f.addMember("g1", "u1", "user")
	f.addMember("g1", "u2", "user")
	f.addMember("g2", "u2", "user")
	f.addMember("g2", "u3", "user")
}

func TestOptions(t *testing.T) {
	f := newFakeEntra(t)
	certPEM, keyPEM := newCertificate(t)
	_, otherKey := newCertificate(t)
	certFile := filepath.Join(t.TempDir(), "cert.pem")
	require.NoError(t, os.WriteFile(certFile, []byte(certPEM), 0o600))
	tests := []struct {
		name    string
		edit    func(*Options)
		wantErr string
	}{
		{"secret", func(*Options) {}, ""},
		{"certificate", func(o *Options) { o.ClientSecret, o.ClientCertificate, o.ClientCertificateKey = "", certPEM, keyPEM }, ""},
		{"certificate file", func(o *Options) { o.ClientSecret, o.ClientCertificate, o.ClientCertificateKey = "", certFile, keyPEM }, ""},
		{"no credential", func(o *Options) { o.ClientSecret = "" }, `option "client_secret": required, unless client_certificate and client_certificate_key are given`},
		{"both credentials", func(o *Options) { o.ClientCertificate, o.ClientCertificateKey = certPEM, keyPEM }, `options "client_secret" and "client_certificate": give one credential, not both`},
		{"certificate without key", func(o *Options) { o.ClientSecret, o.ClientCertificate = "", certPEM }, `option "client_certificate_key": required with client_certificate`},
		{"key without certificate", func(o *Options) { o.ClientSecret, o.ClientCertificateKey = "", keyPEM }, `option "client_certificate": required with client_certificate_key`},
		{"key of another certificate", func(o *Options) { o.ClientSecret, o.ClientCertificate, o.ClientCertificateKey = "", certPEM, otherKey }, `option "client_certificate_key": is not the key of client_certificate`},
		{"bad key", func(o *Options) {
			o.ClientSecret, o.ClientCertificate, o.ClientCertificateKey = "", certPEM, "not-a-key-s3cret"
		}, `option "client_certificate_key": neither PEM nor JWK`},
		{"bad certificate", func(o *Options) {
			o.ClientSecret, o.ClientCertificate, o.ClientCertificateKey = "", "-----BEGIN JUNK-----", keyPEM
		}, `option "client_certificate": no PEM CERTIFICATE block`},
		{"missing certificate file", func(o *Options) {
			o.ClientSecret, o.ClientCertificate, o.ClientCertificateKey = "", "/nonexistent/cert.pem", keyPEM
		}, `option "client_certificate": open /nonexistent/cert.pem`},
		{"bad graph_url", func(o *Options) { o.GraphURL = "graph.microsoft.com" }, `option "graph_url": "graph.microsoft.com" is not an http(s) URL`},
		{"bad login_url", func(o *Options) { o.LoginURL = "ftp://login" }, `option "login_url": "ftp://login" is not an http(s) URL`},
		{"bad tenant_id", func(o *Options) { o.TenantID = "a/b" }, `option "tenant_id": must be the tenant's directory id or domain`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := f.options()
			tt.edit(&o)
			_, err := newProvider(o, providers.Deps{}, nil)
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
			require.NotContains(t, err.Error(), "s3cret")
		})
	}
}

// TestSchema checks the options through the registry, as `dirsyncd validate` does.
func TestSchema(t *testing.T) {
	typ := providertest.Type(t, Register, "entra")
	secret, _ := typ.Option("client_secret")
	require.True(t, secret.Secret)
	key, _ := typ.Option("client_certificate_key")
	require.True(t, key.Secret)
	graph, _ := typ.Option("graph_url")
	require.Equal(t, "https://graph.microsoft.com", graph.Default)
	providertest.CheckOptions(t, typ, []providertest.OptionsCase{
		{Name: "no tenant_id", Options: "client_id: c\nclient_secret: x", WantErr: `option "tenant_id": required`},
		{Name: "no client_id", Options: "tenant_id: t\nclient_secret: x", WantErr: `option "client_id": required`},
		{Name: "no credential", Options: "tenant_id: t\nclient_id: c", WantErr: `option "client_secret": required, unless`},
		{Name: "secret and service principals", Options: "tenant_id: t\nclient_id: c\nclient_secret: x\ninclude_service_principals: true"},
	})
}

func TestSecretAuth(t *testing.T) {
	f := newFakeEntra(t)
	seed(f)
	res, err := newTestProvider(t, f.options()).Sync(context.Background(), nil)
	require.NoError(t, err)
	require.True(t, res.Full)
	require.Len(t, res.Users, 3)
	require.Equal(t, 1, f.requests.Count("token"))

	o := f.options()
	o.ClientSecret = "wrong-s3cret"
	_, err = newTestProvider(t, o).Sync(context.Background(), nil)
	require.ErrorContains(t, err, "invalid_client: AADSTS7000215: Invalid client secret provided.")
	require.NotContains(t, err.Error(), "s3cret")
}

func TestCertificateAuth(t *testing.T) {
	f := newFakeEntra(t)
	seed(f)
	certPEM, keyPEM := newCertificate(t)
	cert, err := apiclient.ParseCertificate(certPEM)
	require.NoError(t, err)
	f.cert = cert
	o := f.options()
	o.ClientSecret, o.ClientCertificate, o.ClientCertificateKey = "", certPEM, keyPEM
	res, err := newTestProvider(t, o).Sync(context.Background(), nil)
	require.NoError(t, err)
	require.Len(t, res.Groups, 2)

	// A certificate Entra does not know is refused.
	otherCert, otherKey := newCertificate(t)
	o.ClientCertificate, o.ClientCertificateKey = otherCert, otherKey
	_, err = newTestProvider(t, o).Sync(context.Background(), nil)
	require.ErrorContains(t, err, "AADSTS700027")
}

// TestNationalCloudScope: the token's scope is {graph_url}/.default, whatever the cloud
// (the fake, like Entra, accepts only the scope of the Graph it is: its own URL).
func TestNationalCloudScope(t *testing.T) {
	f := newFakeEntra(t)
	seed(f)
	o := f.options()
	o.GraphURL += "/"
	_, err := newTestProvider(t, o).Sync(context.Background(), nil)
	require.NoError(t, err)

	o.GraphURL = "https://graph.microsoft.us"
	p, err := newProvider(o, providers.Deps{}, nil)
	require.NoError(t, err)
	require.Equal(t, "https://graph.microsoft.us", p.graphURL)
}

func TestTokenRenewedOn401(t *testing.T) {
	f := newFakeEntra(t)
	seed(f)
	f.pageCap = 1 // several pages, so that the 401 comes mid-round
	o := f.options()
	o.MaxConcurrency = 1 // one request meets the 401 (concurrent ones would each renew)
	f.hook = func(w http.ResponseWriter, r *http.Request, n int) bool {
		if n == 3 {
			f.revokeTokens()
		}
		return false
	}
	res, err := newTestProvider(t, o).Sync(context.Background(), nil)
	require.NoError(t, err)
	require.Len(t, res.Users, 3)
	require.Equal(t, 2, f.requests.Count("token"))
}

func TestPagination(t *testing.T) {
	f := newFakeEntra(t)
	for _, id := range []string{"u1", "u2", "u3", "u4", "u5", "u6", "u7"} {
		f.putUser(id, user(id, true))
	}
	for _, id := range []string{"g1", "g2", "g3"} {
		f.putGroup(id, group(id))
	}
	for _, id := range []string{"u1", "u2", "u3", "u4", "u5", "u6", "u7"} {
		f.addMember("g2", id, "user")
	}
	f.addMember("g1", "u1", "user")
	f.addMember("g3", "u7", "user")
	f.pageCap = 3
	res, err := newTestProvider(t, f.options()).Sync(context.Background(), nil)
	require.NoError(t, err)
	require.Equal(t, 3, f.requests.Count("users"))  // 7 users, 3 a page
	require.Equal(t, 4, f.requests.Count("groups")) // 3 groups + 9 members = 12 entries, 3 a page; g2 spans all 4 pages
	require.Len(t, res.Users, 7)
	require.Len(t, res.Groups, 3)
	for _, u := range res.Users {
		want := []string{"g2"}
		switch u.Id {
		case "u1":
			want = []string{"g1", "g2"}
		case "u7":
			want = []string{"g2", "g3"}
		}
		require.Equal(t, want, u.GroupIds, u.Id)
	}
}

func TestThrottled(t *testing.T) {
	f := newFakeEntra(t)
	seed(f)
	var throttled atomic.Bool
	f.hook = func(w http.ResponseWriter, r *http.Request, n int) bool {
		if r.URL.Path == "/v1.0/groups/delta" && throttled.CompareAndSwap(false, true) {
			w.Header().Set("Retry-After", "1")
			graphError(w, http.StatusTooManyRequests, "TooManyRequests", "Too many requests.")
			return true
		}
		return false
	}
	h := providertest.Start(t, newTestProvider(t, f.options()))
	st := h.Status(t)
	require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, st.GetLastResult(), st.GetLastError())
	require.True(t, throttled.Load())
	require.EqualValues(t, 1, st.GetRateLimitWaits())
	require.Len(t, h.Users(t), 3)
}

// TestFailedPage: a 5xx on page 2 of 3 fails the run and writes nothing; the next run
// succeeds.
func TestFailedPage(t *testing.T) {
	f := newFakeEntra(t)
	for _, id := range []string{"u1", "u2", "u3", "u4", "u5", "u6", "u7"} {
		f.putUser(id, user(id, true))
	}
	f.putGroup("g1", group("g1"))
	f.pageCap = 3
	var failing atomic.Bool
	failing.Store(true)
	f.hook = func(w http.ResponseWriter, r *http.Request, n int) bool {
		if failing.Load() && r.URL.Query().Get("$skiptoken") != "" && r.URL.Path == "/v1.0/users/delta" {
			graphError(w, http.StatusServiceUnavailable, "serviceNotAvailable", "The service is temporarily unavailable.")
			return true
		}
		return false
	}
	h := providertest.Start(t, newTestProvider(t, f.options()))
	st := h.Status(t)
	require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_FAILURE, st.GetLastResult())
	require.Contains(t, st.GetLastError(), "users delta: HTTP 503 serviceNotAvailable")
	require.Empty(t, h.Changes())
	require.Empty(t, h.Users(t))

	failing.Store(false)
	st = h.Sync(t)
	require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, st.GetLastResult(), st.GetLastError())
	require.Len(t, providertest.Upserted(h.Changes(), userType), 7)
}

func TestEmail(t *testing.T) {
	tests := []struct{ mail, upn, want string }{
		{"alice@contoso.com", "alice@contoso.onmicrosoft.com", "alice@contoso.com"},
		{"", "alice_example.com#EXT#@contoso.onmicrosoft.com", "alice@example.com"},
		{"", "bob_smith_example.co.uk#EXT#@contoso.onmicrosoft.com", "bob_smith@example.co.uk"},
		{"", "carol_gmail.com#ext#@contoso.onmicrosoft.com", "carol@gmail.com"},
		{"guest@example.com", "guest_example.com#EXT#@contoso.onmicrosoft.com", "guest@example.com"},
		{"", "noaddress#EXT#@contoso.onmicrosoft.com", ""},
		{"", "dave@contoso.com", "dave@contoso.com"},
		{"", "", ""},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, email(tt.mail, tt.upn), tt.upn)
	}
}

func TestCursorOfAnotherConfiguration(t *testing.T) {
	f := newFakeEntra(t)
	seed(f)
	res, err := newTestProvider(t, f.options()).Sync(context.Background(), nil)
	require.NoError(t, err)
	o := f.options()
	o.IncludeServicePrincipals = true
	_, err = newTestProvider(t, o).Sync(context.Background(), res.Cursor)
	require.ErrorIs(t, err, providers.ErrCursorExpired)
	_, err = newTestProvider(t, f.options()).Sync(context.Background(), []byte("not a cursor"))
	require.ErrorIs(t, err, providers.ErrCursorExpired)
}

// newCertificate returns a self-signed certificate and its RSA key, in PEM.
func newCertificate(t testing.TB) (certPEM, keyPEM string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "dirsync"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	certPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	keyPEM = string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	return certPEM, keyPEM
}
