package server

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/types/known/timestamppb"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store/memory"
)

// firstRunSyncer is a Syncer with one directory whose first run ends when done is set.
type firstRunSyncer struct {
	Syncer
	done atomic.Bool
}

func (s *firstRunSyncer) Status() []*dirsyncv1.DirectoryStatus {
	st := &dirsyncv1.DirectoryStatus{Directory: "corp"}
	if s.done.Load() {
		st.LastSuccess = timestamppb.Now()
	}
	return []*dirsyncv1.DirectoryStatus{st}
}

// TestGRPCHealthFollowsReadiness: the whole server ("") is SERVING once loaded, like
// /healthz; the dirsync services are NOT_SERVING while /readyz says 503 and turn SERVING
// with it.
func TestGRPCHealthFollowsReadiness(t *testing.T) {
	syncer := &firstRunSyncer{}
	ts := startServer(t, memory.New(), Options{Syncer: syncer, ReadinessInterval: 10 * time.Millisecond})
	health := healthpb.NewHealthClient(ts.conn)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	check := func(service string) healthpb.HealthCheckResponse_ServingStatus {
		resp, err := health.Check(ctx, &healthpb.HealthCheckRequest{Service: service})
		require.NoError(t, err)
		return resp.GetStatus()
	}
	readyz := func() int {
		resp, err := http.Get(ts.httpURL + "/readyz")
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}

	require.Equal(t, healthpb.HealthCheckResponse_SERVING, check(""))
	require.Equal(t, http.StatusServiceUnavailable, readyz())
	time.Sleep(50 * time.Millisecond) // several readiness rounds
	for _, name := range readyServices {
		require.Equal(t, healthpb.HealthCheckResponse_NOT_SERVING, check(name), name)
	}

	syncer.done.Store(true)
	require.Equal(t, http.StatusOK, readyz())
	for _, name := range readyServices {
		require.Eventually(t, func() bool { return check(name) == healthpb.HealthCheckResponse_SERVING }, 5*time.Second, 10*time.Millisecond, name)
	}
}
