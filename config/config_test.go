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
		}},
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
