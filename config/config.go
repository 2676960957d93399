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
}

// Listen holds the listener addresses.
type Listen struct {
	// GRPC is the gRPC listener (default 127.0.0.1:7070).
	GRPC string `yaml:"grpc"`
	// HTTP is the REST/OpenAPI/health listener (default 127.0.0.1:7080); "off" disables it.
	HTTP string `yaml:"http"`
}

// Storage selects the store backend.
type Storage struct {
	// Driver is "bolt" (default, one file) or "memory" (ephemeral, for trials).
	Driver string `yaml:"driver"`
	// Path is the bolt file (default ./data/dirsync.db).
	Path string `yaml:"path"`
}

// Streams tunes Sync streams.
type Streams struct {
	// Heartbeat is the Checkpoint interval on idle Sync streams (default 10s).
	Heartbeat Duration `yaml:"heartbeat"`
	// SendTimeout ends a stream whose client stopped reading (default 30s).
	SendTimeout Duration `yaml:"send_timeout"`
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
	defDur(&c.Retention, 168*time.Hour)
	defDur(&c.Streams.Heartbeat, 10*time.Second)
	defDur(&c.Streams.SendTimeout, 30*time.Second)
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
	default:
		errs = append(errs, fmt.Errorf("storage.driver: unknown driver %q (known: bolt, memory)", c.Storage.Driver))
	}
	for key, d := range map[string]Duration{"retention": c.Retention, "streams.heartbeat": c.Streams.Heartbeat, "streams.send_timeout": c.Streams.SendTimeout} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("%s: must not be negative", key))
		}
	}
	return errors.Join(errs...)
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expandEnv replaces ${VAR} with the variable's value; an unset variable is an error.
func expandEnv(raw []byte) ([]byte, error) {
	var missing []string
	out := envRef.ReplaceAllFunc(raw, func(m []byte) []byte {
		name := string(m[2 : len(m)-1])
		v, ok := os.LookupEnv(name)
		if !ok {
			missing = append(missing, name)
		}
		return []byte(v)
	})
	if len(missing) > 0 {
		return nil, fmt.Errorf("environment variables not set: %v", missing)
	}
	return out, nil
}
