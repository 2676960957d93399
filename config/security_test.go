package config

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSecurityAndTelemetry(t *testing.T) {
	const hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	tests := []struct {
		name, doc, wantErr string
	}{
		{name: "no auth on loopback", doc: "listen: {grpc: \"127.0.0.1:1\", http: \"localhost:2\"}\n"},
		{name: "no auth on all interfaces", doc: "listen: {grpc: \"0.0.0.0:7070\"}\n", wantErr: `listen.grpc: "0.0.0.0:7070" is not a loopback address and auth is off`},
		{name: "no auth, empty host", doc: "listen: {http: \":7080\"}\n", wantErr: "listen.http"},
		{name: "auth allows any address", doc: "listen: {grpc: \"0.0.0.0:7070\", http: \":7080\"}\nauth: {api_keys: [{name: a, role: admin, sha256: " + hash + "}]}\n"},
		{name: "plain key", doc: "auth: {api_keys: [{name: a, role: admin, sha256: my-secret-key}]}\n", wantErr: "auth.api_keys[0]: sha256: not 64 hex digits"},
		{name: "bad role", doc: "auth: {api_keys: [{name: a, role: root, sha256: " + hash + "}]}\n", wantErr: `role: "root"`},
		{name: "duplicate key", doc: "auth: {api_keys: [{name: a, role: admin, sha256: " + hash + "}, {name: b, role: reader, sha256: " + hash + "}]}\n", wantErr: "listed twice"},
		{name: "certs need a CA", doc: "auth: {client_certs: [{subject: CN=a, role: reader}]}\n", wantErr: "tls.client_ca_file"},
		{name: "half a pair", doc: "tls: {cert_file: c.pem}\n", wantErr: "cert_file and key_file"},
		{name: "bad log format", doc: "log: {format: xml}\n", wantErr: "log.format"},
		{name: "bad level", doc: "log: {level: loud}\n", wantErr: "log.level"},
		{name: "bad ratio", doc: "tracing: {otlp_endpoint: \"127.0.0.1:4317\", sample_ratio: 2}\n", wantErr: "tracing.sample_ratio"},
		{name: "bad metrics address", doc: "listen: {metrics: nowhere}\n", wantErr: "listen.metrics"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc))
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
			require.False(t, strings.Contains(err.Error(), "my-secret-key"), "errors never echo a key")
		})
	}
	c := Default()
	require.Equal(t, "127.0.0.1:7090", c.Listen.Metrics)
	require.True(t, c.ReflectionEnabled())
	c, err := Parse([]byte("reflection: false\n"))
	require.NoError(t, err)
	require.False(t, c.ReflectionEnabled())
}
