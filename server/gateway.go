package server

import (
	"context"
	"fmt"
	"net/http"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/encoding/protojson"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/server/apidoc"
)

// httpHandler serves the REST gateway (dialing the gRPC listener at grpcAddr, since an
// in-process gateway cannot serve streams), /openapi.json, /healthz and /readyz.
func (s *Server) httpHandler(ctx context.Context, grpcAddr string) (http.Handler, error) {
	gw := runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.JSONPb{
			MarshalOptions:   protojson.MarshalOptions{UseProtoNames: true},
			UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: true},
		}),
		runtime.WithMetadata(s.relayClientCert),
	)
	creds := insecure.NewCredentials()
	if s.opts.TLS != nil {
		creds = credentials.NewTLS(s.opts.TLS.selfClientConfig())
	}
	dial := []grpc.DialOption{grpc.WithTransportCredentials(creds),
		grpc.WithStatsHandler(otelgrpc.NewClientHandler(otelgrpc.WithMeterProvider(s.opts.MeterProvider),
			otelgrpc.WithTracerProvider(s.opts.TracerProvider), otelgrpc.WithPropagators(s.opts.Propagators)))}
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
	mux.HandleFunc("GET /healthz", s.live)
	mux.HandleFunc("GET /readyz", s.readyz)
	return otelhttp.NewHandler(mux, "gateway", otelhttp.WithMeterProvider(s.opts.MeterProvider),
		otelhttp.WithTracerProvider(s.opts.TracerProvider), otelhttp.WithPropagators(s.opts.Propagators),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return "HTTP " + r.Method })), nil
}

// relayClientCert passes the subject of the HTTP caller's verified client certificate to
// the gRPC listener, which the gateway reaches without one, so mTLS roles hold on REST too.
func (s *Server) relayClientCert(_ context.Context, r *http.Request) metadata.MD {
	if s.gatewayToken == "" || r.TLS == nil {
		return nil
	}
	subject, ok := verifiedSubject(*r.TLS)
	if !ok {
		return nil
	}
	return metadata.Pairs(gatewayClientKey, s.gatewayToken+" "+subject)
}
