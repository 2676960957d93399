package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
)

// Log configures dirsyncd's logs.
type Log struct {
	// Format is "text" (default) or "json".
	Format string `yaml:"format"`
	// Level is debug, info (default), warn or error.
	Level string `yaml:"level"`
}

// Tracing configures the export of traces.
type Tracing struct {
	// OTLPEndpoint is the host:port of an OTLP/gRPC collector; empty (default) turns
	// tracing off.
	OTLPEndpoint string `yaml:"otlp_endpoint"`
	// Insecure sends traces without TLS (a collector on loopback or a sidecar).
	Insecure bool `yaml:"insecure"`
	// SampleRatio is the fraction of new traces sampled (default 1); a sampled parent is
	// always followed.
	SampleRatio *float64 `yaml:"sample_ratio"`
}

// telemetryDefaults fills the defaults of listen.metrics, log and tracing.
func (c *Config) telemetryDefaults() {
	if c.Listen.Metrics == "" {
		c.Listen.Metrics = "127.0.0.1:7090"
	}
	if c.Log.Format == "" {
		c.Log.Format = "text"
	}
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	if c.Tracing.SampleRatio == nil {
		r := 1.0
		c.Tracing.SampleRatio = &r
	}
}

// validateTelemetry checks listen.metrics, log and tracing.
func (c *Config) validateTelemetry() []error {
	var errs []error
	if m := c.Listen.Metrics; m != "off" && m != "" {
		if _, _, err := net.SplitHostPort(m); err != nil {
			errs = append(errs, fmt.Errorf("listen.metrics: %q is not host:port (or off)", m))
		}
	}
	if !slices.Contains([]string{"text", "json"}, c.Log.Format) {
		errs = append(errs, fmt.Errorf("log.format: %q is not text or json", c.Log.Format))
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.Log.Level)); err != nil {
		errs = append(errs, fmt.Errorf("log.level: %q is not debug, info, warn or error", c.Log.Level))
	}
	if r := c.Tracing.SampleRatio; r != nil && (*r < 0 || *r > 1) {
		errs = append(errs, fmt.Errorf("tracing.sample_ratio: must be in [0, 1], got %g", *r))
	}
	if c.Tracing.Insecure && c.Tracing.OTLPEndpoint == "" {
		errs = append(errs, errors.New("tracing.insecure: set without tracing.otlp_endpoint"))
	}
	return errs
}
