package config

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"slices"
)

// Auth configures who may call the API. With neither API keys nor client certificates,
// auth is off and the listeners must be on loopback addresses.
type Auth struct {
	// APIKeys are the accepted bearer keys, by SHA-256 hash.
	APIKeys []APIKey `yaml:"api_keys"`
	// ClientCerts map verified TLS client certificates to roles by subject (needs
	// tls.client_ca_file).
	ClientCerts []ClientCert `yaml:"client_certs"`
}

// APIKey is one accepted key: clients send "Authorization: Bearer KEY"; the configuration
// holds only the lower-case hex SHA-256 of KEY (`printf %s KEY | sha256sum`).
type APIKey struct {
	// Name identifies the key in logs (never the key or its hash).
	Name string `yaml:"name"`
	// Role is subscriber, reader or admin.
	Role string `yaml:"role"`
	// SHA256 is the hex SHA-256 of the key.
	SHA256 string `yaml:"sha256"`
}

// ClientCert maps a client certificate subject to a role.
type ClientCert struct {
	// Subject is the certificate subject in RFC 2253 form as Go prints it, e.g.
	// "CN=authorize,O=Example" (most specific attribute first).
	Subject string `yaml:"subject"`
	// Role is subscriber, reader or admin.
	Role string `yaml:"role"`
}

// TLS configures TLS on the gRPC and HTTP listeners; the files are re-read when they change.
type TLS struct {
	// CertFile and KeyFile hold the server's PEM certificate chain and key. Both or neither.
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ClientCAFile holds the PEM CA certificates that sign client certificates; with it, a
	// client certificate is verified when one is presented (mTLS).
	ClientCAFile string `yaml:"client_ca_file"`
}

// Enabled reports whether TLS is on.
func (t TLS) Enabled() bool { return t.CertFile != "" }

// Enabled reports whether any credential is configured, i.e. auth is on.
func (a Auth) Enabled() bool { return len(a.APIKeys) > 0 || len(a.ClientCerts) > 0 }

// roles are the role names of the API, least to most privileged.
var roles = []string{"subscriber", "reader", "admin"}

// validateSecurity checks auth, tls and that an unauthenticated server listens on loopback
// only.
func (c *Config) validateSecurity() []error {
	var errs []error
	names := map[string]bool{}
	hashes := map[string]bool{}
	for i, k := range c.Auth.APIKeys {
		key := fmt.Sprintf("auth.api_keys[%d]", i)
		if k.Name == "" {
			errs = append(errs, fmt.Errorf("%s: name: required", key))
		} else if names[k.Name] {
			errs = append(errs, fmt.Errorf("%s: name: %q used by two keys", key, k.Name))
		}
		names[k.Name] = true
		if !slices.Contains(roles, k.Role) {
			errs = append(errs, fmt.Errorf("%s: role: %q is not one of %v", key, k.Role, roles))
		}
		if b, err := hex.DecodeString(k.SHA256); err != nil || len(b) != 32 {
			errs = append(errs, fmt.Errorf("%s: sha256: not 64 hex digits (put the SHA-256 of the key here, never the key)", key))
		} else if hashes[string(b)] {
			errs = append(errs, fmt.Errorf("%s: sha256: the same key is listed twice", key))
		} else {
			hashes[string(b)] = true
		}
	}
	for i, cc := range c.Auth.ClientCerts {
		key := fmt.Sprintf("auth.client_certs[%d]", i)
		if cc.Subject == "" {
			errs = append(errs, fmt.Errorf("%s: subject: required", key))
		}
		if !slices.Contains(roles, cc.Role) {
			errs = append(errs, fmt.Errorf("%s: role: %q is not one of %v", key, cc.Role, roles))
		}
	}
	if len(c.Auth.ClientCerts) > 0 && c.TLS.ClientCAFile == "" {
		errs = append(errs, errors.New("auth.client_certs: needs tls.client_ca_file to verify client certificates"))
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		errs = append(errs, errors.New("tls: set both cert_file and key_file, or neither"))
	}
	if c.TLS.ClientCAFile != "" && !c.TLS.Enabled() {
		errs = append(errs, errors.New("tls.client_ca_file: needs tls.cert_file and tls.key_file"))
	}
	if !c.Auth.Enabled() {
		for key, addr := range map[string]string{"listen.grpc": c.Listen.GRPC, "listen.http": c.Listen.HTTP} {
			if addr != "off" && !IsLoopback(addr) {
				errs = append(errs, fmt.Errorf("%s: %q is not a loopback address and auth is off (no auth.api_keys or auth.client_certs): "+
					"anyone who reaches it could read the whole directory; configure auth or listen on 127.0.0.1", key, addr))
			}
		}
	}
	return errs
}

// IsLoopback reports whether the host of a host:port address is "localhost" or a loopback
// IP. An empty host (all interfaces) is not.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ReflectionEnabled reports whether the gRPC reflection service is on (default true).
func (c Config) ReflectionEnabled() bool { return c.Reflection == nil || *c.Reflection }
