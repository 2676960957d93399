package server

import (
	"context"
	"fmt"
	"net/http"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protojson"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/server/apidoc"
)

// httpHandler serves the REST gateway (dialing the gRPC listener at grpcAddr, since an
// in-process gateway cannot serve streams), /openapi.json and /healthz.
func (s *Server) httpHandler(ctx context.Context, grpcAddr string) (http.Handler, error) {
	gw := runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.JSONPb{
			MarshalOptions:   protojson.MarshalOptions{UseProtoNames: true},
			UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: true},
		}),
	)
	dial := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	if err := dirsyncv1.RegisterSyncServiceHandlerFromEndpoint(ctx, gw, grpcAddr, dial); err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	if err := dirsyncv1.RegisterDirectoryQueryHandlerFromEndpoint(ctx, gw, grpcAddr, dial); err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	if err := dirsyncv1.RegisterDeviceEnrollmentServiceHandlerFromEndpoint(ctx, gw, grpcAddr, dial); err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/", gw)
	mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(apidoc.OpenAPI)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if _, err := s.store.Versions(r.Context()); err != nil {
			http.Error(w, "store unavailable", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	return mux, nil
}
