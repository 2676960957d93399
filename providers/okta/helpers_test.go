package okta

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/apiclient"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const testToken = "00aBcDeFgHiJkLmNoPqRsTuVwXyZ-test"

var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// jwkKey returns the test key as a private JWK with kid.
func jwkKey(t testing.TB, kid string) string {
	b, err := (&jose.JSONWebKey{Key: testKey(), KeyID: kid, Algorithm: "RS256", Use: "sig"}).MarshalJSON()
	require.NoError(t, err)
	return string(b)
}

// pemKey returns the test key as PKCS #8 PEM.
func pemKey(t testing.TB) string {
	der, err := x509.MarshalPKCS8PrivateKey(testKey())
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// tokenAuth configures f for an API token and returns the options using it.
func tokenAuth(f *fakeOkta) Options {
	f.apiToken = testToken
	return Options{APIToken: testToken}
}

// appAuth configures f for a service app whose key has kid and returns the options using
// it (the key as a JWK).
func appAuth(t testing.TB, f *fakeOkta) Options {
	f.clientID, f.key, f.kid = "0oa1svc2app3dirsync4", &testKey().PublicKey, "dirsync-1"
	return Options{ClientID: f.clientID, PrivateKey: jwkKey(t, f.kid)}
}

// newTest returns a provider of o reading f, retrying after a millisecond.
func newTest(t testing.TB, f *fakeOkta, o Options) *provider {
	t.Helper()
	o.URL = f.srv.URL
	p, err := newProvider(o, providers.Deps{Directory: "corp"}, func(c *apiclient.Config) {
		c.MinRetryDelay = time.Millisecond
	})
	require.NoError(t, err)
	return p
}

func syncOnce(t testing.TB, p *provider, cursor []byte) *providers.Result {
	t.Helper()
	res, err := p.Sync(context.Background(), cursor)
	require.NoError(t, err)
	return res
}
