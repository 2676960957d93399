package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dirsync/dirsync/config"
	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/builtin"
)

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	require.NoError(t, os.WriteFile(good, []byte("storage: {driver: memory}\n"), 0o600))
	var out bytes.Buffer
	require.NoError(t, run([]string{"validate", "-config", good}, &out, io.Discard))
	require.Contains(t, out.String(), "valid")
	require.Contains(t, out.String(), "storage: memory")

	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("storage: {driver: nope}\n"), 0o600))
	err := run([]string{"validate", "-config", bad}, io.Discard, io.Discard)
	require.ErrorContains(t, err, "storage.driver")
	require.ErrorContains(t, err, "bad.yaml")

	require.ErrorContains(t, run([]string{"validate"}, io.Discard, io.Discard), "-config")
	require.ErrorContains(t, run([]string{"serve"}, io.Discard, io.Discard), `unexpected argument "serve"`)
}

// TestServeStopsGracefully: the daemon serves on the bolt default, stops when its context
// ends (as on SIGTERM), closes the store, and a restart opens the same file.
func TestServeStopsGracefully(t *testing.T) {
	cfg := config.Default()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	httpAddr := l.Addr().String()
	require.NoError(t, l.Close())
	cfg.Listen = config.Listen{GRPC: "127.0.0.1:0", HTTP: httpAddr}
	cfg.Storage.Path = filepath.Join(t.TempDir(), "data", "dirsync.db")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for range 2 {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- serve(ctx, cfg, builtin.Registry(), nil, log) }()
		require.Eventually(t, func() bool {
			resp, err := http.Get("http://" + httpAddr + "/healthz")
			if err != nil {
				return false
			}
			resp.Body.Close()
			return resp.StatusCode == http.StatusOK
		}, 10*time.Second, 20*time.Millisecond)
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Fatal("serve did not stop")
		}
	}
}

type secretOptions struct {
	URL   string `yaml:"url" required:"true"`
	Token string `yaml:"api_token" secret:"true" required:"true"`
}

type noProvider struct{}

func (noProvider) Sync(context.Context, []byte) (*providers.Result, error) { return nil, nil }

// TestValidateNeverPrintsSecrets: validate's summary shows options but not secret values,
// and an option error names the directory and option without the value.
func TestValidateNeverPrintsSecrets(t *testing.T) {
	reg := providers.NewRegistry()
	providers.Register(reg, "vault", "Secret IdP", func(secretOptions, providers.Deps) (providers.Provider, error) { return noProvider{}, nil })
	cfg, err := config.Parse([]byte("directories: [{name: corp, provider: vault, options: {url: 'https://idp.example', api_token: s3cr3t-value}}]\n"))
	require.NoError(t, err)
	_, err = directories(cfg, reg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	var out bytes.Buffer
	describe(&out, cfg, reg)
	require.Contains(t, out.String(), "url: https://idp.example")
	require.Contains(t, out.String(), "api_token: (secret)")
	require.NotContains(t, out.String(), "s3cr3t")

	bad, err := config.Parse([]byte("directories: [{name: corp, provider: vault, options: {api_token: s3cr3t-value}}]\n"))
	require.NoError(t, err)
	_, err = directories(bad, reg, slog.New(slog.DiscardHandler))
	require.ErrorContains(t, err, `directory "corp": option "url": required`)
	require.NotContains(t, err.Error(), "s3cr3t")

	unknown, err := config.Parse([]byte("directories: [{name: corp, provider: okta}]\n"))
	require.NoError(t, err)
	_, err = directories(unknown, reg, slog.New(slog.DiscardHandler))
	require.EqualError(t, err, `directory "corp": provider: unknown provider "okta" (known: vault)`)
}
