package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/dirsync/dirsync/config"
	"github.com/dirsync/dirsync/server"
	"github.com/dirsync/dirsync/telemetry"
)

// newLogger builds the daemon's logger from the log section; level, when not empty (the
// -log-level flag), overrides log.level.
func newLogger(w io.Writer, c config.Log, level string) (*slog.Logger, error) {
	if level == "" {
		level = c.Level
	}
	if level == "" {
		level = "info"
	}
	log, err := telemetry.NewLogger(w, c.Format, level)
	if err != nil {
		return nil, fmt.Errorf("log: %w", err)
	}
	return log, nil
}

// authOptions converts the auth section (validated by config) to the server's options.
func authOptions(c config.Auth) (server.AuthOptions, error) {
	var o server.AuthOptions
	for i, k := range c.APIKeys {
		role, err := server.ParseRole(k.Role)
		if err != nil {
			return o, fmt.Errorf("auth.api_keys[%d]: role: %w", i, err)
		}
		key := server.APIKey{Name: k.Name, Role: role}
		if n, err := hex.Decode(key.SHA256[:], []byte(k.SHA256)); err != nil || n != len(key.SHA256) {
			return o, fmt.Errorf("auth.api_keys[%d]: sha256: not 64 hex digits", i)
		}
		o.APIKeys = append(o.APIKeys, key)
	}
	for i, cc := range c.ClientCerts {
		role, err := server.ParseRole(cc.Role)
		if err != nil {
			return o, fmt.Errorf("auth.client_certs[%d]: role: %w", i, err)
		}
		if o.ClientCertRoles == nil {
			o.ClientCertRoles = map[string]server.Role{}
		}
		o.ClientCertRoles[cc.Subject] = role
	}
	return o, nil
}

// tlsFiles loads the tls section, or returns nil when TLS is off.
func tlsFiles(c config.TLS, log *slog.Logger) (*server.TLSFiles, error) {
	if !c.Enabled() {
		return nil, nil
	}
	return server.LoadTLS(c.CertFile, c.KeyFile, c.ClientCAFile, log)
}

// startTelemetry builds the metric and trace providers, installs them as the process's
// globals (the providers' HTTP layer and the sinks record through those), and serves
// /metrics on listen.metrics unless it is "off" or empty. stop flushes and stops it all.
func startTelemetry(ctx context.Context, cfg config.Config, log *slog.Logger) (t *telemetry.Telemetry, stop func(), err error) {
	ratio := 1.0
	if cfg.Tracing.SampleRatio != nil {
		ratio = *cfg.Tracing.SampleRatio
	}
	t, err = telemetry.New(ctx, telemetry.Config{OTLPEndpoint: cfg.Tracing.OTLPEndpoint,
		OTLPInsecure: cfg.Tracing.Insecure, SampleRatio: ratio})
	if err != nil {
		return nil, nil, err
	}
	t.Install()
	if cfg.Tracing.OTLPEndpoint != "" {
		log.Info("tracing on", "otlp_endpoint", cfg.Tracing.OTLPEndpoint)
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	if addr := cfg.Listen.Metrics; addr != "" && addr != "off" {
		lis, err := net.Listen("tcp", addr)
		if err != nil {
			cancel()
			return nil, nil, fmt.Errorf("listen.metrics: %w", err)
		}
		log.Info("serving metrics", "addr", lis.Addr().String()+"/metrics")
		go func() {
			defer close(done)
			if err := t.Serve(sctx, lis); err != nil {
				log.Error("metrics listener stopped", "error", err)
			}
		}()
	} else {
		close(done)
	}
	stop = func() {
		cancel()
		<-done
		fctx, cancelFlush := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancelFlush()
		if err := t.Shutdown(fctx); err != nil {
			log.Warn("flushing telemetry", "error", err)
		}
	}
	return t, stop, nil
}
