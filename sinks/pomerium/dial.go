package pomerium

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/url"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// Target is where the databroker listens and how to reach it.
type Target struct {
	// URL is https://host:port (TLS) or http://host:port (plain gRPC).
	URL string
	// SharedSecret is Pomerium's shared secret, base64-decoded.
	SharedSecret []byte
	// CAFile, when set, holds the PEM certificates that verify the databroker instead of
	// the system roots.
	CAFile string
	// InsecureSkipVerify disables the certificate check (tests only).
	InsecureSkipVerify bool
}

// Dial returns a client connection to the databroker that authenticates every call with
// the shared secret. It does not connect until the first call, and reconnects by itself.
// Errors name the URL or the CA file, never the secret.
func Dial(t Target, opts ...grpc.DialOption) (*grpc.ClientConn, error) {
	u, err := url.Parse(t.URL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("databroker url %q: not http(s)://host:port", t.URL)
	}
	var creds credentials.TransportCredentials
	switch u.Scheme {
	case "http":
		creds = insecure.NewCredentials()
	case "https":
		// InsecureSkipVerify is for tests only (documented in the configuration).
		cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: t.InsecureSkipVerify}
		if t.CAFile != "" {
			pem, err := os.ReadFile(t.CAFile)
			if err != nil {
				return nil, fmt.Errorf("databroker ca_file: %w", err)
			}
			cfg.RootCAs = x509.NewCertPool()
			if !cfg.RootCAs.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("databroker ca_file %s: no PEM certificate", t.CAFile)
			}
		}
		creds = credentials.NewTLS(cfg)
	default:
		return nil, fmt.Errorf("databroker url %q: scheme must be http or https", t.URL)
	}
	opts = append([]grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithPerRPCCredentials(&jwtCredentials{key: t.SharedSecret, now: time.Now}),
	}, opts...)
	conn, err := grpc.NewClient(u.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("databroker %s: %w", t.URL, err)
	}
	return conn, nil
}
