package server

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store/memory"
)

// fixedSinks reports fixed sink statuses.
type fixedSinks []*dirsyncv1.SinkStatus

func (f fixedSinks) Status() []*dirsyncv1.SinkStatus { return f }

// TestSinkStatus: GetSyncStatus lists the sinks' statuses when no directory is selected.
func TestSinkStatus(t *testing.T) {
	st := memory.New()
	t.Cleanup(func() { _ = st.Close() })
	sinks := fixedSinks{{Name: "pomerium", Type: "pomerium_databroker", Directories: []string{"corp"},
		State: dirsyncv1.SinkState_SINK_STATE_FOLLOWING, LastPushedVersion: 7, LagVersions: 2, LastError: "boom"}}
	ts := startServer(t, st, Options{Sinks: sinks})
	resp, err := ts.sync.GetSyncStatus(context.Background(), &dirsyncv1.GetSyncStatusRequest{})
	require.NoError(t, err)
	require.Len(t, resp.Sinks, 1)
	require.True(t, proto.Equal(sinks[0], resp.Sinks[0]), "got %v", resp.Sinks[0])

	none := startServer(t, st, Options{})
	resp, err = none.sync.GetSyncStatus(context.Background(), &dirsyncv1.GetSyncStatusRequest{})
	require.NoError(t, err)
	require.Empty(t, resp.Sinks)
}
