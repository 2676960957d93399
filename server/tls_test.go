package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store/memory"
)

// testCA issues certificates for tests.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newTestCA(t *testing.T, name string) *testCA {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue returns a PEM certificate and key for cn, for servers (with 127.0.0.1) or clients.
func (ca *testCA) issue(t *testing.T, cn string, server bool) (certPEM, keyPEM []byte) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	} else {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	require.NoError(t, err)
	kb, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}

func (ca *testCA) clientCert(t *testing.T, cn string) tls.Certificate {
	c, k := ca.issue(t, cn, false)
	cert, err := tls.X509KeyPair(c, k)
	require.NoError(t, err)
	return cert
}

func writeFile(t *testing.T, path string, b []byte) {
	require.NoError(t, os.WriteFile(path, b, 0o600))
}

// tlsFixture is a server with TLS files in a temporary directory, client certificates
// verified by clientCA and mapped to roles, and API keys.
type tlsFixture struct {
	*testServer
	serverCA, clientCA *testCA
	certFile, keyFile  string
}

func startTLSServer(t *testing.T) *tlsFixture {
	dir := t.TempDir()
	f := &tlsFixture{serverCA: newTestCA(t, "server CA"), clientCA: newTestCA(t, "client CA"),
		certFile: filepath.Join(dir, "tls.crt"), keyFile: filepath.Join(dir, "tls.key")}
	c, k := f.serverCA.issue(t, "dirsyncd", true)
	writeFile(t, f.certFile, c)
	writeFile(t, f.keyFile, k)
	caFile := filepath.Join(dir, "clients.pem")
	writeFile(t, caFile, f.clientCA.pem)
	files, err := LoadTLS(f.certFile, f.keyFile, caFile, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	auth := testAuth()
	auth.ClientCertRoles = map[string]Role{"CN=authorize": RoleSubscriber, "CN=console": RoleAdmin}
	ts := startServer(t, memory.New(), Options{Auth: auth, TLS: files})
	ts.httpURL = strings.Replace(ts.httpURL, "http://", "https://", 1)
	f.testServer = ts
	return f
}

// dial connects over TLS trusting the server CA, with the client certificates given.
func (f *tlsFixture) dial(t *testing.T, certs ...tls.Certificate) dirsyncv1.SyncServiceClient {
	pool := x509.NewCertPool()
	pool.AddCert(f.serverCA.cert)
	conn, err := grpc.NewClient(f.grpcAddr, grpc.WithTransportCredentials(credentials.NewTLS(
		&tls.Config{RootCAs: pool, Certificates: certs, MinVersion: tls.VersionTLS12})))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return dirsyncv1.NewSyncServiceClient(conn)
}

// firstRecv opens SyncLatest and returns the code of its first receive.
func firstRecv(t *testing.T, c dirsyncv1.SyncServiceClient, ctx context.Context) codes.Code {
	s, err := c.SyncLatest(ctx, &dirsyncv1.SyncLatestRequest{})
	if err != nil {
		return status.Code(err)
	}
	_, err = s.Recv()
	return status.Code(err)
}

// TestMTLS: a client certificate from another CA is refused at the handshake; a verified
// certificate gets the role of its subject; an unknown subject has no rights; without a
// certificate the caller needs an API key.
func TestMTLS(t *testing.T) {
	f := startTLSServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	authorize := f.dial(t, f.clientCA.clientCert(t, "authorize"))
	require.Equal(t, codes.OK, firstRecv(t, authorize, ctx))
	_, err := authorize.GetSyncStatus(ctx, &dirsyncv1.GetSyncStatusRequest{})
	require.Equal(t, codes.PermissionDenied, status.Code(err), "subscriber may not read the status")

	console := f.dial(t, f.clientCA.clientCert(t, "console"))
	_, err = console.GetSyncStatus(ctx, &dirsyncv1.GetSyncStatusRequest{})
	require.NoError(t, err)

	stranger := f.dial(t, f.clientCA.clientCert(t, "stranger"))
	require.Equal(t, codes.PermissionDenied, firstRecv(t, stranger, ctx))

	// A certificate of another CA: Go's client does not offer it to a server that asks for
	// certificates of its own CAs, so the call is anonymous; sent anyway, the server ends
	// the handshake.
	forgedCert := newTestCA(t, "other CA").clientCert(t, "console")
	forged := f.dial(t, forgedCert)
	_, err = forged.GetSyncStatus(ctx, &dirsyncv1.GetSyncStatusRequest{})
	require.Equal(t, codes.Unauthenticated, status.Code(err), "not offered: %v", err)
	pool := x509.NewCertPool()
	pool.AddCert(f.serverCA.cert)
	pushy, err := grpc.NewClient(f.grpcAddr, grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &forgedCert, nil }})))
	require.NoError(t, err)
	defer pushy.Close()
	_, err = dirsyncv1.NewSyncServiceClient(pushy).GetSyncStatus(ctx, &dirsyncv1.GetSyncStatusRequest{})
	require.Equal(t, codes.Unavailable, status.Code(err), "handshake refused: %v", err)

	anonymous := f.dial(t)
	require.Equal(t, codes.Unauthenticated, firstRecv(t, anonymous, ctx))

	plain, err := grpc.NewClient(f.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer plain.Close()
	_, err = dirsyncv1.NewSyncServiceClient(plain).GetSyncStatus(ctx, &dirsyncv1.GetSyncStatusRequest{})
	require.Equal(t, codes.Unavailable, status.Code(err), "plaintext refused: %v", err)
}

// TestMTLSOverREST: the gateway relays the HTTP caller's verified client certificate, so
// its subject's role holds on REST as on gRPC, and no caller can claim a subject by sending
// the relay's metadata itself.
func TestMTLSOverREST(t *testing.T) {
	f := startTLSServer(t)
	pool := x509.NewCertPool()
	pool.AddCert(f.serverCA.cert)
	get := func(header string, certs ...tls.Certificate) int {
		client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: certs, MinVersion: tls.VersionTLS12}}}
		defer client.CloseIdleConnections()
		req, err := http.NewRequest(http.MethodGet, f.httpURL+"/v1/sync/status", nil)
		require.NoError(t, err)
		if header != "" {
			req.Header.Set("Grpc-Metadata-"+gatewayClientKey, header)
		}
		resp, err := client.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusOK, get("", f.clientCA.clientCert(t, "console")))
	require.Equal(t, http.StatusForbidden, get("", f.clientCA.clientCert(t, "authorize")), "subscriber may not read the status")
	require.Equal(t, http.StatusForbidden, get("", f.clientCA.clientCert(t, "stranger")))
	require.Equal(t, http.StatusUnauthorized, get(""))
	forged := base64.StdEncoding.EncodeToString([]byte("guess CN=console"))
	require.Equal(t, http.StatusUnauthorized, get(forged), "a relay header without the gateway's token proves nothing")
	require.Equal(t, http.StatusForbidden, get(forged, f.clientCA.clientCert(t, "authorize")))

	// The gateway does not forward that header; a gRPC caller can send the key directly.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, gatewayClientKey, "guess CN=console")
	_, err := f.dial(t).GetSyncStatus(ctx, &dirsyncv1.GetSyncStatusRequest{})
	require.Equal(t, codes.Unauthenticated, status.Code(err), "%v", err)
}

// TestTLSReloadAndGateway: the listeners serve a rewritten certificate without a restart,
// and the REST gateway reaches gRPC over TLS before and after, carrying the API key.
func TestTLSReloadAndGateway(t *testing.T) {
	f := startTLSServer(t)
	pool := x509.NewCertPool()
	pool.AddCert(f.serverCA.cert)
	served := func() *big.Int {
		conn, err := tls.Dial("tcp", f.grpcAddr, &tls.Config{RootCAs: pool, NextProtos: []string{"h2"}, MinVersion: tls.VersionTLS12})
		require.NoError(t, err)
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].SerialNumber
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	t.Cleanup(client.CloseIdleConnections)
	rest := func(key string) int {
		req, err := http.NewRequest(http.MethodGet, f.httpURL+"/v1/sync/status", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := client.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusOK, rest(testKeys[RoleReader]))
	require.Equal(t, http.StatusForbidden, rest(testKeys[RoleSubscriber]))

	before := served()
	c, k := f.serverCA.issue(t, "dirsyncd", true)
	writeFile(t, f.keyFile, k)
	writeFile(t, f.certFile, c)
	after := served()
	require.NotEqual(t, before, after, "the rewritten certificate is served")
	block, _ := pem.Decode(c)
	cert, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	require.Equal(t, cert.SerialNumber, after)

	client.CloseIdleConnections()
	require.Equal(t, http.StatusOK, rest(testKeys[RoleReader]), "the gateway trusts the new certificate")
}

// TestTLSKeepsLastGoodFiles: a half-written pair (new certificate, old key) does not break
// the listener; the last good pair stays in use.
func TestTLSKeepsLastGoodFiles(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, "ca")
	certFile, keyFile := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	c, k := ca.issue(t, "a", true)
	writeFile(t, certFile, c)
	writeFile(t, keyFile, k)
	files, err := LoadTLS(certFile, keyFile, "", slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	first, _ := files.current()
	c2, _ := ca.issue(t, "b", true)
	writeFile(t, certFile, c2)
	got, _ := files.current()
	require.Equal(t, first.Certificate[0], got.Certificate[0])

	_, err = LoadTLS(filepath.Join(dir, "missing.pem"), keyFile, "", nil)
	require.ErrorContains(t, err, "missing.pem")
}
