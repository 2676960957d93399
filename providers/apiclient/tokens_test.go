package apiclient

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

// tokenServer answers token requests after check approves the form; it records the forms.
func tokenServer(t *testing.T, check func(r *http.Request, form url.Values)) (*httptest.Server, *[]url.Values) {
	var forms []url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, http.MethodPost, r.Method)
		require.Equal(t, "application/x-www-form-urlencoded", r.Header.Get("Content-Type"))
		require.NoError(t, r.ParseForm())
		forms = append(forms, r.PostForm)
		check(r, r.PostForm)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"at-1","token_type":"Bearer","expires_in":3600}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &forms
}

func TestClientCredentials(t *testing.T) {
	srv, forms := tokenServer(t, func(r *http.Request, _ url.Values) { require.Empty(t, r.Header.Get("Authorization")) })
	fetch := ClientCredentials(srv.URL+"/token", "cid", "csecret", []string{"https://graph.microsoft.com/.default"},
		url.Values{"audience": {"https://x/api/v2/"}}, oauth2.AuthStyleInParams)
	tok, err := fetch(context.Background())
	require.NoError(t, err)
	require.Equal(t, "at-1", tok.AccessToken)
	require.WithinDuration(t, time.Now().Add(time.Hour), tok.Expiry, time.Minute)
	require.Equal(t, url.Values{"grant_type": {"client_credentials"}, "client_id": {"cid"}, "client_secret": {"csecret"},
		"scope": {"https://graph.microsoft.com/.default"}, "audience": {"https://x/api/v2/"}}, (*forms)[0])
}

func TestClientCredentialsBasic(t *testing.T) {
	srv, forms := tokenServer(t, func(r *http.Request, _ url.Values) {
		id, secret, ok := r.BasicAuth()
		require.True(t, ok)
		require.Equal(t, [2]string{"cid", "csecret"}, [2]string{id, secret})
	})
	_, err := ClientCredentials(srv.URL, "cid", "csecret", nil, nil, oauth2.AuthStyleInHeader)(context.Background())
	require.NoError(t, err)
	require.Equal(t, url.Values{"grant_type": {"client_credentials"}}, (*forms)[0])
}

func TestJSONClientCredentials(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		if !ok || id != "cid" || secret != "csecret" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"statusCode":401,"name":"Unauthorized","message":"Authentication Failure"}`)
			return
		}
		require.Equal(t, "application/json", r.Header.Get("Content-Type"))
		require.JSONEq(t, `{"grant_type":"client_credentials"}`, string(body))
		fmt.Fprint(w, `{"access_token":"at-1","created_at":"2026-11-29T10:00:00.000Z","expires_in":36000,"refresh_token":null,"token_type":"bearer","account_id":1}`)
	}))
	defer srv.Close()
	tok, err := JSONClientCredentials(srv.URL, "cid", "csecret")(context.Background())
	require.NoError(t, err)
	require.Equal(t, "at-1", tok.AccessToken)
	require.WithinDuration(t, time.Now().Add(10*time.Hour), tok.Expiry, time.Minute)

	c, err := New(Config{BaseURL: srv.URL, Auth: OAuth2(JSONClientCredentials(srv.URL, "cid", "wrong"))})
	require.NoError(t, err)
	_, err = c.Get(context.Background(), "users", "users")
	require.ErrorContains(t, err, "token request: HTTP 401 Unauthorized: Authentication Failure")
	require.NotContains(t, err.Error(), "wrong")
}

func TestTokenErrorKeepsOAuthCode(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."}`)
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL, Auth: OAuth2(ClientCredentials(srv.URL+"/token", "cid", "wrong-secret", nil, nil, oauth2.AuthStyleInParams))})
	require.NoError(t, err)
	_, err = c.Get(context.Background(), "users", "users")
	require.ErrorContains(t, err, "/users: token request: HTTP 401 invalid_client: AADSTS7000215: Invalid client secret provided.")
	require.NotContains(t, err.Error(), "wrong-secret")
}

func TestPrivateKeyJWT(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	cert := selfSigned(t, rsaKey)
	thumb := sha1.Sum(cert.Raw)
	tests := []struct {
		name  string
		a     Assertion
		alg   string
		pub   any
		extra map[string]string // header fields
	}{
		{name: "okta jwk kid", a: Assertion{ClientID: "0oa1", Key: rsaKey, KeyID: "kid-1", Scopes: []string{"okta.users.read", "okta.groups.read"}},
			alg: "RS256", pub: &rsaKey.PublicKey, extra: map[string]string{"kid": "kid-1"}},
		{name: "entra certificate", a: Assertion{ClientID: "app", Key: rsaKey, Certificate: cert},
			alg: "RS256", pub: &rsaKey.PublicKey, extra: map[string]string{"x5t": base64.RawURLEncoding.EncodeToString(thumb[:])}},
		{name: "ec key", a: Assertion{ClientID: "app", Key: ecKey}, alg: "ES256", pub: &ecKey.PublicKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tokenURL string
			srv, forms := tokenServer(t, func(_ *http.Request, form url.Values) {
				require.Equal(t, "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", form.Get("client_assertion_type"))
				tok, err := josejwt.ParseSigned(form.Get("client_assertion"), []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
				require.NoError(t, err)
				require.Equal(t, tt.alg, tok.Headers[0].Algorithm)
				for k, v := range tt.extra {
					if k == "kid" {
						require.Equal(t, v, tok.Headers[0].KeyID)
					} else {
						require.Equal(t, v, tok.Headers[0].ExtraHeaders[jose.HeaderKey(k)])
					}
				}
				var claims josejwt.Claims
				require.NoError(t, tok.Claims(tt.pub, &claims))
				require.NoError(t, claims.Validate(josejwt.Expected{Issuer: tt.a.ClientID, Subject: tt.a.ClientID,
					AnyAudience: josejwt.Audience{tokenURL}, Time: time.Now()}))
				require.NotEmpty(t, claims.ID)
			})
			tokenURL = srv.URL + "/oauth2/v1/token"
			tt.a.TokenURL = tokenURL
			fetch, err := PrivateKeyJWT(tt.a)
			require.NoError(t, err)
			tok, err := fetch(context.Background())
			require.NoError(t, err)
			require.Equal(t, "at-1", tok.AccessToken)
			form := (*forms)[0]
			require.Equal(t, "client_credentials", form.Get("grant_type"))
			require.Equal(t, tt.a.ClientID, form.Get("client_id"))
			require.Empty(t, form.Get("client_secret"))
		})
	}
}

func TestServiceAccount(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	var tokenURL string
	srv, forms := tokenServer(t, func(_ *http.Request, form url.Values) {
		require.Equal(t, "urn:ietf:params:oauth:grant-type:jwt-bearer", form.Get("grant_type"))
		tok, err := josejwt.ParseSigned(form.Get("assertion"), []jose.SignatureAlgorithm{jose.RS256})
		require.NoError(t, err)
		require.Equal(t, "key-1", tok.Headers[0].KeyID)
		var claims struct {
			josejwt.Claims
			Scope string `json:"scope"`
		}
		require.NoError(t, tok.Claims(&key.PublicKey, &claims))
		require.Equal(t, "dirsync@proj.iam.gserviceaccount.com", claims.Issuer)
		require.Equal(t, "admin@example.com", claims.Subject)
		require.Equal(t, josejwt.Audience{tokenURL}, claims.Audience)
		require.Equal(t, "scope.a scope.b", claims.Scope)
	})
	tokenURL = srv.URL + "/token"
	keyJSON, err := json.Marshal(map[string]string{"type": "service_account", "client_email": "dirsync@proj.iam.gserviceaccount.com",
		"private_key_id": "key-1", "private_key": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"token_uri": "https://oauth2.googleapis.com/token"})
	require.NoError(t, err)
	fetch, err := ServiceAccount(keyJSON, "admin@example.com", tokenURL, "scope.a", "scope.b")
	require.NoError(t, err)
	tok, err := fetch(context.Background())
	require.NoError(t, err)
	require.Equal(t, "at-1", tok.AccessToken)
	require.Len(t, *forms, 1)

	_, err = ServiceAccount([]byte(`{"type":"service_account"`), "admin@example.com", "")
	require.ErrorContains(t, err, "service account key")
}

func TestParsePrivateKey(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	pkcs8, err := x509.MarshalPKCS8PrivateKey(rsaKey)
	require.NoError(t, err)
	sec1, err := x509.MarshalECPrivateKey(ecKey)
	require.NoError(t, err)
	jwk, err := json.Marshal(jose.JSONWebKey{Key: rsaKey, KeyID: "k1", Algorithm: "RS256"})
	require.NoError(t, err)
	pubJWK, err := json.Marshal(jose.JSONWebKey{Key: &rsaKey.PublicKey, KeyID: "k1"})
	require.NoError(t, err)
	pemOf := func(typ string, b []byte) string { return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b})) }
	tests := []struct {
		name, in, kid, wantErr string
	}{
		{name: "pkcs1", in: pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey))},
		{name: "pkcs8", in: "\n" + pemOf("PRIVATE KEY", pkcs8)},
		{name: "sec1", in: pemOf("EC PRIVATE KEY", sec1)},
		{name: "jwk", in: string(jwk), kid: "k1"},
		{name: "public jwk", in: string(pubJWK), wantErr: "the JWK is not a private key"},
		{name: "garbage", in: "hello", wantErr: "neither PEM nor JWK"},
		{name: "certificate", in: pemOf("CERTIFICATE", []byte{1, 2}), wantErr: `PEM block "CERTIFICATE" is not a private key`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, kid, err := ParsePrivateKey(tt.in)
			if tt.wantErr != "" {
				require.EqualError(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.NotNil(t, k)
			require.Equal(t, tt.kid, kid)
		})
	}
}

func selfSigned(t *testing.T, key *rsa.PrivateKey) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "dirsync"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := ParseCertificate(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	require.NoError(t, err)
	return cert
}
