package providers

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

type fakeOptions struct {
	URL           string        `yaml:"url" desc:"The API base URL" required:"true"`
	Token         string        `yaml:"api_token" desc:"API token" secret:"true" required:"true"`
	PageSize      int           `yaml:"page_size" desc:"Items per page" default:"100"`
	Timeout       time.Duration `yaml:"timeout" desc:"Request timeout" default:"30s"`
	Groups        []string      `yaml:"groups" desc:"Only these groups"`
	Nested        bool          `yaml:"nested" desc:"Follow nested groups"`
	sharedOptions `yaml:",inline"`
}

// sharedOptions stands for options every provider of a kind embeds (apiclient.Options).
type sharedOptions struct {
	CAFile string `yaml:"ca_file" desc:"CA file"`
}

type fakeProvider struct{ opts fakeOptions }

func (fakeProvider) Sync(context.Context, []byte) (*Result, error) { return &Result{Full: true}, nil }

func fakeRegistry() *Registry {
	r := NewRegistry()
	Register(r, "fake", "Fake IdP", func(o fakeOptions, _ Deps) (Provider, error) { return fakeProvider{o}, nil })
	return r
}

func TestSchema(t *testing.T) {
	typ, err := fakeRegistry().Lookup("fake")
	require.NoError(t, err)
	require.Equal(t, []Option{
		{Name: "url", Description: "The API base URL", Type: "string", Required: true},
		{Name: "api_token", Description: "API token", Type: "string", Required: true, Secret: true},
		{Name: "page_size", Description: "Items per page", Type: "int", Default: "100"},
		{Name: "timeout", Description: "Request timeout", Type: "duration", Default: "30s"},
		{Name: "groups", Description: "Only these groups", Type: "list"},
		{Name: "nested", Description: "Follow nested groups", Type: "bool"},
		{Name: "ca_file", Description: "CA file", Type: "string"},
	}, typ.Options)
	_, err = fakeRegistry().Lookup("okta")
	require.EqualError(t, err, `unknown provider "okta" (known: fake)`)
}

func TestNew(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(secret, []byte("s3cr3t-from-file\n"), 0o600))
	tests := []struct {
		name    string
		doc     string
		want    fakeOptions
		wantErr string
	}{
		{name: "defaults", doc: "{url: 'https://x', api_token: abc}",
			want: fakeOptions{URL: "https://x", Token: "abc", PageSize: 100, Timeout: 30 * time.Second}},
		{name: "all", doc: "{url: 'https://x', api_token: abc, page_size: 5, timeout: 2m, groups: [a, b], nested: true, ca_file: /ca.pem}",
			want: fakeOptions{URL: "https://x", Token: "abc", PageSize: 5, Timeout: 2 * time.Minute, Groups: []string{"a", "b"}, Nested: true,
				sharedOptions: sharedOptions{CAFile: "/ca.pem"}}},
		{name: "secret from file", doc: "{url: 'https://x', api_token_file: '" + secret + "'}",
			want: fakeOptions{URL: "https://x", Token: "s3cr3t-from-file", PageSize: 100, Timeout: 30 * time.Second}},
		{name: "missing required", doc: "{api_token: abc}", wantErr: `option "url": required (The API base URL)`},
		{name: "empty required", doc: "{url: '', api_token: abc}", wantErr: `option "url": required`},
		{name: "unknown", doc: "{url: x, api_token: abc, pagesize: 1}", wantErr: `unknown option "pagesize" (options of fake: url, api_token, page_size, timeout, groups, nested, ca_file)`},
		{name: "file for a non-secret", doc: "{url_file: /x, api_token: abc}", wantErr: `unknown option "url_file"`},
		{name: "both forms", doc: "{url: x, api_token: abc, api_token_file: '" + secret + "'}", wantErr: `give either api_token or api_token_file`},
		{name: "missing file", doc: "{url: x, api_token_file: /nonexistent/token}", wantErr: `option "api_token_file": open /nonexistent/token`},
		{name: "wrong type", doc: "{url: x, api_token: abc, page_size: many}", wantErr: "page_size"},
		{name: "not a mapping", doc: "[a, b]", wantErr: "must be a mapping"},
	}
	typ, err := fakeRegistry().Lookup("fake")
	require.NoError(t, err)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc yaml.Node
			require.NoError(t, yaml.Unmarshal([]byte(tt.doc), &doc))
			p, err := typ.New(doc.Content[0], Deps{})
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				require.NotContains(t, err.Error(), "s3cr3t")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, p.(fakeProvider).opts)
		})
	}
}

func TestRetryAt(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	err := error(&RetryError{At: at, Err: context.DeadlineExceeded})
	got, ok := RetryAt(err)
	require.True(t, ok)
	require.Equal(t, at, got)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	_, ok = RetryAt(context.Canceled)
	require.False(t, ok)
}
