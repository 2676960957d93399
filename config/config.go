// Package config reads dirsyncd's YAML configuration: it decodes strictly (unknown keys are
// errors), expands ${VAR} from the environment, applies defaults and validates, naming the
// offending key in every error. It must not open stores or start anything.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is the whole configuration file.
type Config struct {
	Listen    Listen   `yaml:"listen"`
	Storage   Storage  `yaml:"storage"`
	Retention Duration `yaml:"retention"`
	Streams   Streams  `yaml:"streams"`
	Sync      Sync     `yaml:"sync"`
	// Enrollment configures device-enrollment links.
	Enrollment Enrollment `yaml:"enrollment"`
	// Directories are the identity-provider sources to sync.
	Directories []Directory `yaml:"directories"`
	// Sinks push directory records into other systems (a Pomerium databroker; sinks.go).
	Sinks []Sink `yaml:"sinks"`
	// Auth, TLS and Reflection secure the API (security.go).
	Auth       Auth  `yaml:"auth"`
	TLS        TLS   `yaml:"tls"`
	Reflection *bool `yaml:"reflection"`
	// Log and Tracing configure telemetry (telemetry.go); metrics listen on listen.metrics.
	Log     Log     `yaml:"log"`
	Tracing Tracing `yaml:"tracing"`
}

// Directory is one configured source. Its options are kept as YAML and decoded in a second
// pass by the provider's registry type, which knows their schema.
type Directory struct {
	// Name is unique, 1–64 of [A-Za-z0-9._-]; it appears in record keys and URLs.
	Name string `yaml:"name"`
	// Provider is a registered provider type (okta, entra, blob, …).
	Provider string `yaml:"provider"`
	// Options are the provider's options.
	Options yaml.Node `yaml:"options"`
	Polling Polling   `yaml:"polling"`
	Safety  Safety    `yaml:"safety"`
	// FullSyncInterval is the longest time between full reconciliations (default 24h).
	FullSyncInterval Duration `yaml:"full_sync_interval"`
	// EnrollmentBaseURL overrides enrollment.base_url for this directory's links.
	EnrollmentBaseURL string `yaml:"enrollment_base_url"`
}

// Polling is a directory's schedule.
type Polling struct {
	// MinDelay is the wait after a successful run (default 10m).
	MinDelay Duration `yaml:"min_delay"`
	// MaxDelay caps the backoff after failures (default 1h).
	MaxDelay Duration `yaml:"max_delay"`
	// Timeout bounds one attempt (default 30m).
	Timeout Duration `yaml:"timeout"`
}

// Safety guards a directory against mass deletion.
type Safety struct {
	// MaxDeleteFraction blocks a run that would delete more than this fraction of the
	// directory's records (default 0.25; 1 disables the guard).
	MaxDeleteFraction *float64 `yaml:"max_delete_fraction"`
}

// Listen holds the listener addresses.
type Listen struct {
	// GRPC is the gRPC listener (default 127.0.0.1:7070).
	GRPC string `yaml:"grpc"`
	// HTTP is the REST/OpenAPI/health listener (default 127.0.0.1:7080); "off" disables it.
	HTTP string `yaml:"http"`
	// Metrics is the Prometheus /metrics listener (default 127.0.0.1:7090); "off" disables it.
	Metrics string `yaml:"metrics"`
}

// Storage selects the store backend.
type Storage struct {
	// Driver is "bolt" (default, one file), "postgres" (several replicas on one database)
	// or "memory" (ephemeral, for trials).
	Driver string `yaml:"driver"`
	// Path is the bolt file (default ./data/dirsync.db).
	Path string `yaml:"path"`
	// DSN is the PostgreSQL connection string (postgres://user@host:port/db?sslmode=…).
	DSN string `yaml:"dsn"`
}

// Streams tunes Sync streams.
type Streams struct {
	// Heartbeat is the Checkpoint interval on idle Sync streams (default 10s).
	Heartbeat Duration `yaml:"heartbeat"`
	// SendTimeout ends a stream whose client stopped reading (default 30s).
	SendTimeout Duration `yaml:"send_timeout"`
}

// Sync tunes the syncer.
type Sync struct {
	// LeaseTTL is how long a replica's lease on a directory lasts unrenewed (default 30s, at
	// least 1s): with several replicas on one database, a survivor takes over a dead
	// replica's directories within it. Renewals and standby retries run every third of it.
	LeaseTTL Duration `yaml:"lease_ttl"`
}

// Duration is a time.Duration written as a Go duration string ("10m", "168h").
type Duration time.Duration

// UnmarshalYAML decodes a duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration (use e.g. 30s, 10m, 168h)", n.Line, s)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// Default returns the configuration used when no file is given.
func Default() Config {
	c := Config{}
	c.defaults()
	return c
}

// Load reads, expands, decodes and validates the file at path.
func Load(path string) (Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	c, err := Parse(raw)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Parse decodes and validates a configuration document.
func Parse(raw []byte) (Config, error) {
	raw, err := expandEnv(raw)
	if err != nil {
		return Config{}, err
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, err
	}
	c.defaults()
	return c, c.validate()
}

func (c *Config) defaults() {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.Listen.GRPC, "127.0.0.1:7070")
	def(&c.Listen.HTTP, "127.0.0.1:7080")
	def(&c.Storage.Driver, "bolt")
	if c.Storage.Driver == "bolt" {
		def(&c.Storage.Path, "./data/dirsync.db")
	}
	defDur := func(d *Duration, v time.Duration) {
		if *d == 0 {
			*d = Duration(v)
		}
	}
	c.telemetryDefaults()
	defDur(&c.Retention, 168*time.Hour)
	defDur(&c.Streams.Heartbeat, 10*time.Second)
	defDur(&c.Streams.SendTimeout, 30*time.Second)
	defDur(&c.Sync.LeaseTTL, 30*time.Second)
	sinkDefaults(c.Sinks)
	for i := range c.Directories {
		d := &c.Directories[i]
		defDur(&d.Polling.MinDelay, 10*time.Minute)
		defDur(&d.Polling.MaxDelay, time.Hour)
		defDur(&d.Polling.Timeout, 30*time.Minute)
		defDur(&d.FullSyncInterval, 24*time.Hour)
		if d.Safety.MaxDeleteFraction == nil {
			f := 0.25
			d.Safety.MaxDeleteFraction = &f
		}
	}
}

func (c *Config) validate() error {
	var errs []error
	addr := func(key, v string) {
		if _, _, err := net.SplitHostPort(v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not host:port", key, v))
		}
	}
	addr("listen.grpc", c.Listen.GRPC)
	if c.Listen.HTTP != "off" {
		addr("listen.http", c.Listen.HTTP)
	}
	switch c.Storage.Driver {
	case "bolt", "memory":
	case "postgres":
		if c.Storage.DSN == "" {
			errs = append(errs, errors.New("storage.dsn: required with driver postgres"))
		}
	default:
		errs = append(errs, fmt.Errorf("storage.driver: unknown driver %q (known: bolt, postgres, memory)", c.Storage.Driver))
	}
	if c.Sync.LeaseTTL < Duration(time.Second) {
		errs = append(errs, fmt.Errorf("sync.lease_ttl: %s is below the minimum of 1s", time.Duration(c.Sync.LeaseTTL)))
	}
	for key, d := range map[string]Duration{"retention": c.Retention, "streams.heartbeat": c.Streams.Heartbeat, "streams.send_timeout": c.Streams.SendTimeout} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("%s: must not be negative", key))
		}
	}
	seen := map[string]bool{}
	for i, d := range c.Directories {
		key := fmt.Sprintf("directories[%d]", i)
		if d.Name != "" {
			key = fmt.Sprintf("directory %q", d.Name)
		}
		switch {
		case !dirName.MatchString(d.Name):
			errs = append(errs, fmt.Errorf("%s: name: must be 1-64 of A-Z a-z 0-9 . _ - (got %q)", key, d.Name))
		case seen[d.Name]:
			errs = append(errs, fmt.Errorf("%s: name: used by two directories", key))
		}
		seen[d.Name] = true
		if d.Provider == "" {
			errs = append(errs, fmt.Errorf("%s: provider: required", key))
		}
		if d.Polling.MaxDelay < d.Polling.MinDelay {
			errs = append(errs, fmt.Errorf("%s: polling.max_delay (%s) is below polling.min_delay (%s)", key,
				time.Duration(d.Polling.MaxDelay), time.Duration(d.Polling.MinDelay)))
		}
		for name, v := range map[string]Duration{"polling.min_delay": d.Polling.MinDelay, "polling.max_delay": d.Polling.MaxDelay,
			"polling.timeout": d.Polling.Timeout, "full_sync_interval": d.FullSyncInterval} {
			if v < 0 {
				errs = append(errs, fmt.Errorf("%s: %s: must not be negative", key, name))
			}
		}
		if f := *d.Safety.MaxDeleteFraction; f <= 0 || f > 1 {
			errs = append(errs, fmt.Errorf("%s: safety.max_delete_fraction: must be in (0, 1], got %g", key, f))
		}
	}
	errs = append(errs, c.Enrollment.validate(c.Directories)...)
	errs = append(errs, validateSinks(c.Sinks, c.Directories)...)
	errs = append(errs, c.validateSecurity()...)
	errs = append(errs, c.validateTelemetry()...)
	return errors.Join(errs...)
}

var dirName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expandEnv replaces ${VAR} with the variable's value; an unset variable is an error. Comment
// lines (first non-blank character '#') are left as they are, so a commented-out example
// may name a variable that is not set.
func expandEnv(raw []byte) ([]byte, error) {
	var missing []string
	lines := bytes.SplitAfter(raw, []byte("\n"))
	for i, line := range lines {
		if bytes.HasPrefix(bytes.TrimLeft(line, " \t"), []byte("#")) {
			continue
		}
		lines[i] = envRef.ReplaceAllFunc(line, func(m []byte) []byte {
			name := string(m[2 : len(m)-1])
			v, ok := os.LookupEnv(name)
			if !ok {
				missing = append(missing, name)
			}
			return []byte(v)
		})
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("environment variables not set: %v", missing)
	}
	return bytes.Join(lines, nil), nil
}
