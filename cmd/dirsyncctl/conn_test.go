package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/credentials"
)

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

func TestUnreachable(t *testing.T) {
	addr := closedAddr(t)
	for _, args := range [][]string{{"status"}, {"users", "list", "acme"}, {"sync", "acme"}, {"providers"}} {
		start := time.Now()
		r := ctl(t, addr, append([]string{"--timeout", "500ms"}, args...)...)
		require.Equal(t, exitUnavailable, r.code, "%v: %s", args, r.stderr)
		require.Contains(t, r.stderr, "(is dirsyncd serving gRPC at "+addr+"?)")
		require.Less(t, time.Since(start), 2*time.Second)
	}
}

func TestToken(t *testing.T) {
	ps, addr := startPolicyServer(t, nil)
	policy := policyFile(t, samplePolicy)
	check := []string{"check", "--policy", policy, "--directory", "acme", "--user", "u1"}

	require.Equal(t, exitOK, ctl(t, addr, check...).code)
	require.Empty(t, ps.authorizations(), "no token, no authorization header")

	r := ctl(t, addr, append([]string{"--token", "s3cret"}, check...)...)
	require.Equal(t, exitOK, r.code, r.stderr)
	t.Setenv("DIRSYNC_TOKEN", "from-env")
	r = ctl(t, addr, check...)
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Equal(t, []string{"Bearer s3cret", "Bearer from-env"}, ps.authorizations())

	// Never in clear text to another machine; never in help.
	r = ctl(t, "dirsync.example.com:7070", append([]string{"--token", "s3cret"}, check...)...)
	require.Equal(t, exitUsage, r.code)
	require.Contains(t, r.stderr, "refusing to send a token in clear text to dirsync.example.com:7070; use --tls")
	r = ctl(t, addr, "--token", "s3cret", "status", "-h")
	require.Equal(t, exitOK, r.code)
	require.NotContains(t, r.stderr, "s3cret")
}

// pki is a CA with a server certificate for localhost and 127.0.0.1 and a client
// certificate, as PEM files.
type pki struct {
	dir                string
	pool               *x509.CertPool
	server             tls.Certificate
	caFile             string
	clientCert, client string
}

func newPKI(t *testing.T) *pki {
	dir := t.TempDir()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)
	p := &pki{dir: dir, pool: x509.NewCertPool(), caFile: filepath.Join(dir, "ca.pem")}
	p.pool.AddCert(ca)
	writePEM(t, p.caFile, "CERTIFICATE", caDER)

	issue := func(serial int64, usage x509.ExtKeyUsage, certFile, keyFile string) tls.Certificate {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "localhost"},
			DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		require.NoError(t, err)
		keyDER, err := x509.MarshalECPrivateKey(key)
		require.NoError(t, err)
		writePEM(t, certFile, "CERTIFICATE", der)
		writePEM(t, keyFile, "EC PRIVATE KEY", keyDER)
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		require.NoError(t, err)
		return cert
	}
	p.server = issue(2, x509.ExtKeyUsageServerAuth, filepath.Join(dir, "server.pem"), filepath.Join(dir, "server-key.pem"))
	p.clientCert, p.client = filepath.Join(dir, "client.pem"), filepath.Join(dir, "client-key.pem")
	issue(3, x509.ExtKeyUsageClientAuth, p.clientCert, p.client)
	return p
}

func writePEM(t *testing.T, path, kind string, der []byte) {
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600))
}

// TestTLS: --tls verifies the server against --ca-file and --server-name and presents the
// client certificate; the TLS flags without --tls, or half a key pair, are usage errors.
func TestTLS(t *testing.T) {
	p := newPKI(t)
	ps, addr := startPolicyServer(t, credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{p.server},
		ClientCAs: p.pool, ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS13}))
	check := []string{"check", "--policy", policyFile(t, samplePolicy), "--directory", "acme", "--user", "u1"}
	mtls := []string{"--tls", "--ca-file", p.caFile, "--cert-file", p.clientCert, "--key-file", p.client}
	with := func(flags ...string) []string { return append(append([]string(nil), flags...), check...) }

	cases := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"mutual TLS", with(mtls...), exitOK, ""},
		{"server name", with(append(mtls, "--server-name", "localhost")...), exitOK, ""},
		{"token over TLS", with(append(mtls, "--token", "t0k")...), exitOK, ""},
		{"wrong server name", with(append(mtls, "--server-name", "other.example")...), exitUnavailable, "certificate is valid for localhost, not other.example"},
		{"unknown CA", with("--tls", "--cert-file", p.clientCert, "--key-file", p.client), exitUnavailable, "certificate signed by unknown authority"},
		{"no client certificate", with("--tls", "--ca-file", p.caFile), exitUnavailable, "Unavailable"},
		{"plaintext to TLS", check, exitUnavailable, "Unavailable"},
		{"CA without --tls", with("--ca-file", p.caFile), exitUsage, "--ca-file needs --tls"},
		{"half a key pair", with("--tls", "--cert-file", p.clientCert), exitUsage, "--cert-file and --key-file go together"},
		{"missing CA file", with("--tls", "--ca-file", filepath.Join(p.dir, "nope.pem")), exitUsage, "--ca-file: open "},
		{"CA file without PEM", with("--tls", "--ca-file", check[2]), exitUsage, "no PEM certificate in it"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := ctl(t, addr, append([]string{"--timeout", "2s"}, c.args...)...)
			require.Equal(t, c.code, r.code, r.stderr)
			require.Contains(t, r.stderr, c.stderr)
		})
	}
	require.Contains(t, ps.authorizations(), "Bearer t0k")
}
