package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/sinks/pomerium"
	"github.com/dirsync/dirsync/sinks/pomerium/pomeriumtest"
)

// TestSinkWiring: dirsyncd with a `sinks:` section pushes its blob directory into a
// (fake) Pomerium databroker and reports the sink in GetSyncStatus.
func TestSinkWiring(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "directory.json")
	sampleDir{
		Users:  []map[string]any{{"id": "u1", "display_name": "Ann", "email": "ann@acme.example", "group_ids": []string{"eng"}}},
		Groups: []map[string]any{{"id": "all", "name": "All"}, {"id": "eng", "name": "Engineering", "group_ids": []string{"all"}}},
	}.write(t, file)
	key := make([]byte, 32)
	_, err := rand.Read(key)
	require.NoError(t, err)
	f := pomeriumtest.Start(t, key)
	t.Setenv("TEST_POMERIUM_SHARED_SECRET", base64.StdEncoding.EncodeToString(key))
	sc, _, _ := daemon(t, `
storage: {driver: bolt, path: `+filepath.Join(dir, "data.db")+`}
directories:
  - name: acme
    provider: blob
    options: {url: "file://`+file+`"}
sinks:
  - type: pomerium_databroker
    name: pomerium
    url: http://`+f.Addr+`
    shared_secret: ${TEST_POMERIUM_SHARED_SECRET}
    directories: [acme]
`)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	first, err := sc.TriggerSync(ctx, &dirsyncv1.TriggerSyncRequest{Directory: "acme"})
	require.NoError(t, err)
	var sink *dirsyncv1.SinkStatus
	require.Eventually(t, func() bool {
		resp, err := sc.GetSyncStatus(ctx, &dirsyncv1.GetSyncStatusRequest{})
		require.NoError(t, err)
		require.Len(t, resp.Sinks, 1)
		sink = resp.Sinks[0]
		return sink.LastPushedVersion >= first.RecordVersion && sink.State == dirsyncv1.SinkState_SINK_STATE_FOLLOWING
	}, 30*time.Second, 10*time.Millisecond)
	require.Equal(t, "pomerium", sink.Name)
	require.Equal(t, []string{"acme"}, sink.Directories)
	require.Empty(t, sink.LastError)
	u1 := f.Get(pomerium.TypeUser, "u1")
	require.NotNil(t, u1)
	require.Equal(t, 2, f.Count(pomerium.TypeGroup))
}
