package config

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	t.Setenv("DIRSYNC_TEST_PORT", "9090")
	tests := []struct {
		name    string
		doc     string
		wantErr string
		check   func(t *testing.T, c Config)
	}{
		{name: "empty file takes defaults", doc: "", check: func(t *testing.T, c Config) {
			require.Equal(t, Default(), c)
			require.Equal(t, "127.0.0.1:7070", c.Listen.GRPC)
			require.Equal(t, "./data/dirsync.db", c.Storage.Path)
			require.Equal(t, Duration(168*time.Hour), c.Retention)
			require.Equal(t, Duration(30*time.Second), c.Sync.LeaseTTL)
		}},
		{name: "lease ttl", doc: "sync: {lease_ttl: 3s}\n", check: func(t *testing.T, c Config) {
			require.Equal(t, Duration(3*time.Second), c.Sync.LeaseTTL)
		}},
		{name: "lease ttl too short", doc: "sync: {lease_ttl: 100ms}\n", wantErr: "sync.lease_ttl: 100ms is below the minimum of 1s"},
		{name: "values and env expansion", doc: "listen: {grpc: \"127.0.0.1:${DIRSYNC_TEST_PORT}\"}\nstorage: {driver: memory}\nretention: 2h\n", check: func(t *testing.T, c Config) {
			require.Equal(t, "127.0.0.1:9090", c.Listen.GRPC)
			require.Equal(t, "memory", c.Storage.Driver)
			require.Empty(t, c.Storage.Path)
			require.Equal(t, Duration(2*time.Hour), c.Retention)
		}},
		{name: "unknown key", doc: "listen: {grcp: x}\n", wantErr: "field grcp not found"},
		{name: "bad duration", doc: "retention: 7d\n", wantErr: `"7d" is not a duration`},
		{name: "bad driver", doc: "storage: {driver: mysql}\n", wantErr: "storage.driver: unknown driver \"mysql\""},
		{name: "bad address", doc: "listen: {http: localhost}\n", wantErr: "listen.http"},
		{name: "directory defaults", doc: "directories: [{name: corp, provider: blob, options: {url: 'file:///x.json'}}]\n", check: func(t *testing.T, c Config) {
			d := c.Directories[0]
			require.Equal(t, Duration(10*time.Minute), d.Polling.MinDelay)
			require.Equal(t, Duration(time.Hour), d.Polling.MaxDelay)
			require.Equal(t, Duration(30*time.Minute), d.Polling.Timeout)
			require.Equal(t, Duration(24*time.Hour), d.FullSyncInterval)
			require.InDelta(t, 0.25, *d.Safety.MaxDeleteFraction, 0)
			require.Equal(t, "url", d.Options.Content[0].Value)
		}},
		{name: "duplicate directory", doc: "directories: [{name: a, provider: blob}, {name: a, provider: blob}]\n", wantErr: `directory "a": name: used by two directories`},
		{name: "bad directory name", doc: "directories: [{name: 'a/b', provider: blob}]\n", wantErr: `name: must be 1-64`},
		{name: "missing provider", doc: "directories: [{name: a}]\n", wantErr: `directory "a": provider: required`},
		{name: "max below min", doc: "directories: [{name: a, provider: blob, polling: {min_delay: 1h, max_delay: 1m}}]\n", wantErr: `polling.max_delay (1m0s) is below polling.min_delay (1h0m0s)`},
		{name: "bad fraction", doc: "directories: [{name: a, provider: blob, safety: {max_delete_fraction: 1.5}}]\n", wantErr: `safety.max_delete_fraction`},
		{name: "unknown directory key", doc: "directories: [{name: a, provider: blob, polling: {min: 1m}}]\n", wantErr: "field min not found"},
		{name: "comment lines are not expanded", doc: "# secret: ${DIRSYNC_TEST_UNSET_VAR}\n  # also ${DIRSYNC_TEST_UNSET_VAR}\nretention: 1h\n", check: func(t *testing.T, c Config) {
			require.Equal(t, Duration(time.Hour), c.Retention)
		}},
		{name: "unset variable", doc: "storage: {path: ${DIRSYNC_TEST_UNSET_VAR}}\n", wantErr: "DIRSYNC_TEST_UNSET_VAR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.doc))
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			tt.check(t, c)
		})
	}
}
