package config

import (
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"
)

// SinkTypePomerium is the sink type that feeds a Pomerium databroker.
const SinkTypePomerium = "pomerium_databroker"

// Sink is one configured push of directory records into another system.
type Sink struct {
	// Type is the sink type; only pomerium_databroker exists.
	Type string `yaml:"type"`
	// Name identifies the sink in status, logs, its lease and its saved checkpoint: 1–64 of
	// [A-Za-z0-9._-], unique among the sinks (default: the URL's host:port, with ':' as '_').
	Name string `yaml:"name"`
	// URL is the databroker's gRPC address, https://host:port (TLS) or http://host:port.
	URL string `yaml:"url"`
	// SharedSecret is Pomerium's shared_secret: standard base64 of at least 32 bytes.
	// Exclusive with SharedSecretFile.
	SharedSecret Secret `yaml:"shared_secret"`
	// SharedSecretFile holds the shared secret (surrounding whitespace ignored).
	SharedSecretFile string `yaml:"shared_secret_file"`
	// Directories are the configured directories whose users and groups the sink pushes.
	Directories []string `yaml:"directories"`
	// CAFile is a PEM bundle that verifies the databroker's certificate instead of the
	// system roots.
	CAFile string `yaml:"ca_file"`
	// InsecureSkipVerify disables the certificate check (tests only).
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
	// ReconcileInterval is the time between full comparisons of the databroker's records
	// with dirsync's (default 1h).
	ReconcileInterval Duration `yaml:"reconcile_interval"`
}

// Key reads the shared secret (from the file when set) and returns it decoded. Errors name
// the sink and the key, never the value.
func (s Sink) Key(i int) ([]byte, error) {
	prefix := fmt.Sprintf("sinks[%d]", i)
	switch {
	case s.SharedSecret != "" && s.SharedSecretFile != "":
		return nil, fmt.Errorf("%s: set shared_secret or shared_secret_file, not both", prefix)
	case s.SharedSecretFile != "":
		b, err := os.ReadFile(s.SharedSecretFile)
		if err != nil {
			return nil, fmt.Errorf("%s: shared_secret_file: %w", prefix, err)
		}
		return decodeKey(prefix+": shared_secret_file", strings.TrimSpace(string(b)))
	case s.SharedSecret != "":
		return decodeKey(prefix+": shared_secret", string(s.SharedSecret))
	default:
		return nil, fmt.Errorf("%s: shared_secret: required (or shared_secret_file)", prefix)
	}
}

// sinkDefaults fills in each sink's name and reconcile interval.
func sinkDefaults(sinks []Sink) {
	for i := range sinks {
		s := &sinks[i]
		if s.Name == "" {
			if u, err := url.Parse(s.URL); err == nil {
				s.Name = strings.ReplaceAll(u.Host, ":", "_")
			}
		}
		if s.ReconcileInterval == 0 {
			s.ReconcileInterval = Duration(time.Hour)
		}
	}
}

// validateSinks checks the sinks against the configured directories.
func validateSinks(sinks []Sink, dirs []Directory) []error {
	var errs []error
	names := map[string]int{}
	for i, s := range sinks {
		key := fmt.Sprintf("sinks[%d]", i)
		bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(key+": "+format, a...)) }
		if s.Type != SinkTypePomerium {
			bad("type: %q is not a sink type (known: %s)", s.Type, SinkTypePomerium)
		}
		if u, err := url.Parse(s.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			bad("url: %q is not http(s)://host:port", s.URL)
		}
		switch j, dup := names[s.Name]; {
		case !dirName.MatchString(s.Name):
			bad("name: must be 1-64 of A-Z a-z 0-9 . _ - (got %q)", s.Name)
		case dup:
			bad("name: %q is also the name of sinks[%d]; set distinct names", s.Name, j)
		}
		names[s.Name] = i
		if _, err := s.Key(i); err != nil {
			errs = append(errs, err)
		}
		if len(s.Directories) == 0 {
			bad("directories: required")
		}
		for j, d := range s.Directories {
			switch {
			case !slices.ContainsFunc(dirs, func(c Directory) bool { return c.Name == d }):
				bad("directories[%d]: %q is not a configured directory", j, d)
			case slices.Contains(s.Directories[:j], d):
				bad("directories[%d]: %q listed twice", j, d)
			}
		}
		if s.CAFile != "" {
			if _, err := os.Stat(s.CAFile); err != nil {
				bad("ca_file: %w", err)
			}
		}
		if s.ReconcileInterval < 0 {
			bad("reconcile_interval: must not be negative")
		}
	}
	return errs
}
