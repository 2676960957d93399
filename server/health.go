package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// readyServices are the gRPC health service names that follow Ready; the empty name (the
// whole server) is SERVING from the moment the replica is loaded, like /healthz.
var readyServices = []string{
	dirsyncv1.SyncService_ServiceDesc.ServiceName,
	dirsyncv1.DirectoryQuery_ServiceDesc.ServiceName,
	dirsyncv1.DeviceEnrollmentService_ServiceDesc.ServiceName,
}

// followReadiness sets readyServices' gRPC health status from Ready every interval until
// ctx ends, logging each change with the reasons.
func (s *Server) followReadiness(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	last := healthpb.HealthCheckResponse_UNKNOWN
	for {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		problems := s.Ready(rctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		now := healthpb.HealthCheckResponse_SERVING
		if len(problems) > 0 {
			now = healthpb.HealthCheckResponse_NOT_SERVING
		}
		if now != last {
			for _, name := range readyServices {
				s.health.SetServingStatus(name, now)
			}
			s.log.Info("readiness changed", "status", now.String(), "reasons", problems)
			last = now
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
}

// live answers /healthz: the process serves HTTP. It checks nothing else, so a failing
// store or IdP never gets the process restarted.
func (s *Server) live(w http.ResponseWriter, _ *http.Request) {
	_, _ = w.Write([]byte("ok\n"))
}

// readyz answers /readyz: 200 when Ready is nil, else 503 with the reasons, one a line.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if problems := s.Ready(ctx); len(problems) > 0 {
		http.Error(w, strings.Join(problems, "\n"), http.StatusServiceUnavailable)
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}

// Ready returns why the server is not ready to serve, or nil: the store must answer, the
// replica must hold it, and every configured directory must have synced at least once or be
// failing visibly (its last run FAILED or BLOCKED, which GetSyncStatus shows). A directory
// whose first run has not ended is the one case that keeps the server not ready.
func (s *Server) Ready(ctx context.Context) []string {
	var problems []string
	if _, err := s.store.Versions(ctx); err != nil {
		problems = append(problems, "store: unreachable")
	}
	select {
	case <-s.loaded:
	default:
		problems = append(problems, "replica: still loading the store")
	}
	if s.opts.Syncer == nil {
		return problems
	}
	for _, st := range s.opts.Syncer.Status() {
		switch {
		case st.GetLastSuccess() != nil:
		case st.GetLastResult() == dirsyncv1.SyncResult_SYNC_RESULT_FAILURE,
			st.GetLastResult() == dirsyncv1.SyncResult_SYNC_RESULT_BLOCKED:
		default:
			problems = append(problems, fmt.Sprintf("directory %q: first sync not finished", st.GetDirectory()))
		}
	}
	return problems
}
