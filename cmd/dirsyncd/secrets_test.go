package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/dirsync/dirsync/config"
	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers/builtin"
)

// TestNoSecretInLogs runs one directory of every provider type, each with all its secret
// options set, against an IdP that fails every call (token requests 401, API calls 500), at
// debug level, and checks that the captured log — startup, every failed run with its errors,
// shutdown — contains none of the secrets, nor the API key or its hash.
func TestNoSecretInLogs(t *testing.T) {
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.Contains(r.URL.Path, "token") {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"invalid_client","error_description":"client authentication failed"}`)
			return
		}
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, `{"message":"internal error"}`)
	}))
	defer idp.Close()

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	googleKey, err := json.Marshal(map[string]string{"type": "service_account", "client_email": "dirsync@p.iam.gserviceaccount.com",
		"private_key_id": "k1", "private_key": keyPEM, "token_uri": idp.URL + "/token"})
	require.NoError(t, err)
	const apiKey = "adm-key-0a1b2c3d4e5f"
	hash := sha256.Sum256([]byte(apiKey))
	secrets := []string{"okta-api-token-31337", "entra-client-secret-31337", "github-token-31337", "gitlab-token-31337",
		"auth0-client-secret-31337", "cognito-secret-key-31337", "cognito-session-token-31337", "onelogin-secret-31337",
		"ping-client-secret-31337", apiKey, hex.EncodeToString(hash[:]),
		"ZW5yb2xsbWVudC1zZWNyZXQtZm9yLXRoZS1sb2ctdGVzdA=="}
	// The private key's base64 body, line by line (a log could wrap or quote it).
	for _, line := range strings.Split(keyPEM, "\n") {
		if len(line) > 40 && !strings.HasPrefix(line, "-----") {
			secrets = append(secrets, line)
		}
	}

	grpcAddr := freeAddr(t)
	u := idp.URL
	doc := fmt.Sprintf(`listen: {grpc: %[1]q, http: "off", metrics: "off"}
storage: {driver: memory}
log: {format: json, level: debug}
auth: {api_keys: [{name: ops, role: admin, sha256: %[2]s}]}
enrollment: {base_url: "https://authenticate.example.com", secret: %[14]q}
directories:
  - {name: okta, provider: okta, options: {url: %[3]q, api_token: %[4]q}}
  - {name: entra, provider: entra, options: {tenant_id: t1, client_id: c1, client_secret: %[5]q, graph_url: %[3]q, login_url: %[3]q}}
  - {name: google, provider: google, options: {service_account_key: %[6]q, impersonate_user: admin@example.com, api_url: %[3]q}}
  - {name: github, provider: github, options: {token: %[7]q, orgs: [acme], api_url: %[3]q}}
  - {name: gitlab, provider: gitlab, options: {token: %[8]q, url: %[3]q}}
  - {name: auth0, provider: auth0, options: {domain: example.auth0.com, client_id: c1, client_secret: %[9]q, api_url: %[3]q}}
  - {name: cognito, provider: cognito, options: {region: us-east-1, user_pool_id: us-east-1_Abc123, access_key_id: AKIDEXAMPLE, secret_access_key: %[10]q, session_token: %[11]q, endpoint: %[3]q}}
  - {name: onelogin, provider: onelogin, options: {client_id: c1, client_secret: %[12]q, url: %[3]q}}
  - {name: ping, provider: ping, options: {environment_id: env1, client_id: c1, client_secret: %[13]q, auth_url: %[3]q, api_url: %[3]q}}
`, grpcAddr, hex.EncodeToString(hash[:]), u, secrets[0], secrets[1], string(googleKey), secrets[2], secrets[3], secrets[4],
		secrets[5], secrets[6], secrets[7], secrets[8], secrets[11])
	cfg, err := config.Parse([]byte(doc))
	require.NoError(t, err)
	var logs syncBuffer
	log, err := newLogger(&logs, cfg.Log, "")
	require.NoError(t, err)
	reg := builtin.Registry()
	dirs, err := directories(cfg, reg, log)
	require.NoError(t, err)
	require.Len(t, dirs, len(reg.Types())-1, "every provider but blob (which has no secret) is configured")

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, reg, dirs, log) }()
	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer conn.Close()
	sc := dirsyncv1.NewSyncServiceClient(conn)
	actx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+apiKey)
	require.Eventually(t, func() bool {
		resp, err := sc.GetSyncStatus(actx, &dirsyncv1.GetSyncStatusRequest{})
		if err != nil {
			return false
		}
		for _, st := range resp.GetDirectories() {
			if st.GetLastResult() != dirsyncv1.SyncResult_SYNC_RESULT_FAILURE {
				return false
			}
		}
		return len(resp.GetDirectories()) == len(dirs)
	}, time.Minute, 20*time.Millisecond, "every directory's first run fails")
	_, _ = sc.GetSyncStatus(metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+apiKey+"x"),
		&dirsyncv1.GetSyncStatusRequest{}) // a refused key is logged too
	cancel()
	require.NoError(t, <-done)

	captured := logs.String()
	require.Contains(t, captured, `"msg":"sync failed"`)
	require.Contains(t, captured, "HTTP 500")
	for _, s := range secrets {
		require.NotContains(t, captured, s)
	}
}
