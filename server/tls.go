package server

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
)

// TLSFiles serves the server's certificate and client CAs from PEM files, re-reading them
// when one changes (checked at each handshake, by modification time and size), so a rotated
// certificate is used without a restart. A change that does not load (a half-written pair)
// keeps the last good files in use and is logged.
type TLSFiles struct {
	certFile, keyFile, caFile string
	log                       *slog.Logger

	mu    sync.Mutex
	stamp string
	cert  *tls.Certificate
	cas   *x509.CertPool // nil without a client CA file
}

// LoadTLS reads the certificate, key and optional client-CA files; errors name the file.
func LoadTLS(certFile, keyFile, clientCAFile string, log *slog.Logger) (*TLSFiles, error) {
	f := &TLSFiles{certFile: certFile, keyFile: keyFile, caFile: clientCAFile, log: log}
	stamp, err := f.stampNow()
	if err != nil {
		return nil, err
	}
	if err := f.load(stamp); err != nil {
		return nil, err
	}
	return f, nil
}

// stampNow describes the files' current versions.
func (f *TLSFiles) stampNow() (string, error) {
	var b bytes.Buffer
	for _, name := range []string{f.certFile, f.keyFile, f.caFile} {
		if name == "" {
			continue
		}
		fi, err := os.Stat(name)
		if err != nil {
			return "", fmt.Errorf("tls: %w", err)
		}
		fmt.Fprintf(&b, "%s:%d:%d;", name, fi.ModTime().UnixNano(), fi.Size())
	}
	return b.String(), nil
}

// load reads the files; on success they become current. Called with f.mu held or before
// f is shared.
func (f *TLSFiles) load(stamp string) error {
	cert, err := tls.LoadX509KeyPair(f.certFile, f.keyFile)
	if err != nil {
		return fmt.Errorf("tls: cert_file %s, key_file %s: %w", f.certFile, f.keyFile, err)
	}
	var cas *x509.CertPool
	if f.caFile != "" {
		pem, err := os.ReadFile(f.caFile)
		if err != nil {
			return fmt.Errorf("tls: client_ca_file: %w", err)
		}
		cas = x509.NewCertPool()
		if !cas.AppendCertsFromPEM(pem) {
			return fmt.Errorf("tls: client_ca_file %s: no PEM certificate", f.caFile)
		}
	}
	f.cert, f.cas, f.stamp = &cert, cas, stamp
	return nil
}

// current returns the certificate and client CAs, reloading them first if a file changed.
func (f *TLSFiles) current() (*tls.Certificate, *x509.CertPool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	stamp, err := f.stampNow()
	if err == nil && stamp != f.stamp {
		err = f.load(stamp)
		if err == nil {
			f.log.Info("tls: reloaded the certificate files", "cert_file", f.certFile)
		}
	}
	if err != nil {
		f.log.Warn("tls: keeping the last good certificate files", "error", err)
	}
	return f.cert, f.cas
}

// serverConfig is the listeners' TLS configuration for ALPN protocols protos. A client
// certificate is verified when presented; whether one is needed is for the authenticator.
func (f *TLSFiles) serverConfig(protos ...string) *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: protos,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			cert, cas := f.current()
			c := &tls.Config{MinVersion: tls.VersionTLS12, NextProtos: protos, Certificates: []tls.Certificate{*cert}}
			if cas != nil {
				c.ClientCAs, c.ClientAuth = cas, tls.VerifyClientCertIfGiven
			}
			return c, nil
		},
	}
}

// selfClientConfig is the gateway's configuration for dialing this server's own gRPC
// listener: it trusts exactly the certificate the server currently serves, so it needs no
// CA and no host name match.
func (f *TLSFiles) selfClientConfig() *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, // replaced by the pin in VerifyConnection
		VerifyConnection: func(cs tls.ConnectionState) error {
			cert, _ := f.current()
			if len(cs.PeerCertificates) == 0 || !bytes.Equal(cs.PeerCertificates[0].Raw, cert.Certificate[0]) {
				return errors.New("gateway: the gRPC listener did not present this server's certificate")
			}
			return nil
		},
	}
}
