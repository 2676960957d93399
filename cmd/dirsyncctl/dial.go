package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/dirsync/dirsync/config"
)

// dial returns a client of the server at o.addr with o's transport security and token. It
// does not connect: a server that cannot be reached fails the first call with UNAVAILABLE.
// Unusable TLS files or flag combinations are usage errors.
func dial(o options) (*grpc.ClientConn, error) {
	creds, err := transportCredentials(o)
	if err != nil {
		return nil, &usageError{err.Error()}
	}
	dopts := []grpc.DialOption{grpc.WithTransportCredentials(creds)}
	if o.token != "" {
		if !o.tls && !loopback(o.addr) {
			return nil, &usageError{fmt.Sprintf("--token: refusing to send a token in clear text to %s; use --tls", o.addr)}
		}
		dopts = append(dopts, grpc.WithPerRPCCredentials(bearer{token: o.token, secure: o.tls}))
	}
	conn, err := grpc.NewClient(o.addr, dopts...)
	if err != nil {
		return nil, &usageError{fmt.Sprintf("--addr %q: %v", o.addr, err)}
	}
	return conn, nil
}

// transportCredentials is plaintext without --tls; with it, TLS verifying the server against
// --ca-file (or the system roots) and --server-name, presenting --cert-file if given.
func transportCredentials(o options) (credentials.TransportCredentials, error) {
	if !o.tls {
		for _, f := range [][2]string{{"ca-file", o.caFile}, {"cert-file", o.certFile}, {"key-file", o.keyFile}, {"server-name", o.serverName}} {
			if f[1] != "" {
				return nil, fmt.Errorf("--%s needs --tls", f[0])
			}
		}
		return insecure.NewCredentials(), nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: o.serverName}
	if o.caFile != "" {
		pem, err := os.ReadFile(o.caFile)
		if err != nil {
			return nil, fmt.Errorf("--ca-file: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--ca-file %s: no PEM certificate in it", o.caFile)
		}
	}
	if (o.certFile == "") != (o.keyFile == "") {
		return nil, fmt.Errorf("--cert-file and --key-file go together")
	}
	if o.certFile != "" {
		cert, err := tls.LoadX509KeyPair(o.certFile, o.keyFile)
		if err != nil {
			return nil, fmt.Errorf("--cert-file/--key-file: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return credentials.NewTLS(cfg), nil
}

// loopback reports whether addr names this machine, where a plaintext token stays local.
func loopback(addr string) bool {
	return strings.HasPrefix(addr, "unix:") || config.IsLoopback(addr)
}

// bearer sends a token as "authorization: Bearer TOKEN" with every call. When secure, gRPC
// refuses to send it over a connection without transport security.
type bearer struct {
	token  string
	secure bool
}

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + b.token}, nil
}

func (b bearer) RequireTransportSecurity() bool { return b.secure }
