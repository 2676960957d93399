package server

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/dirsync/dirsync/store/bolt"
)

// sumOf returns the value of the int64 sum name with attribute rpc=rpc.
func sumOf(t *testing.T, reader sdkmetric.Reader, name, rpc string) int64 {
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
				if v, ok := dp.Attributes.Value("rpc"); ok && v.AsString() == rpc {
					return dp.Value
				}
			}
		}
	}
	return 0
}

// TestSendTimeoutMetric: a stream ended because its send stayed blocked is counted, and
// the open-stream gauge goes back down.
func TestSendTimeoutMetric(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	st, err := bolt.Open(filepath.Join(t.TempDir(), "timeout.db"))
	require.NoError(t, err)
	defer st.Close()
	ts := startServer(t, st, Options{SendTimeout: 300 * time.Millisecond, MeterProvider: mp})
	v, err := st.Versions(context.Background())
	require.NoError(t, err)
	stalled := stalledStream(t, context.Background(), ts, v.ServerVersion)
	require.Equal(t, int64(1), sumOf(t, reader, "dirsync.stream.subscribers", "Sync"))
	writeBurst(t, st, 10, 1000)
	// The client reads nothing until the server has given up on it: reading earlier could
	// drain the stream before the send timeout fires.
	require.Eventually(t, func() bool { return sumOf(t, reader, "dirsync.stream.send_timeouts", "Sync") == 1 },
		30*time.Second, 10*time.Millisecond)
	for {
		if _, err := stalled.Recv(); err != nil {
			require.Equal(t, codes.Unavailable, status.Code(err), "%v", err)
			break
		}
	}
	require.Eventually(t, func() bool { return sumOf(t, reader, "dirsync.stream.subscribers", "Sync") == 0 }, 10*time.Second, 10*time.Millisecond)
}
