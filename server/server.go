package server

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/replica"
	"github.com/dirsync/dirsync/store"
)

// Options tune a Server. Zero values take the defaults.
type Options struct {
	// Heartbeat is the interval of Checkpoints on idle Sync streams (default 10s).
	Heartbeat time.Duration
	// SendTimeout ends a stream whose send is blocked longer (default 30s).
	SendTimeout time.Duration
	// RingSize is how many recent changes the broadcaster keeps in memory (default 65536).
	RingSize int
	// ReadinessInterval is how often the gRPC health status of the dirsync services is set
	// from Ready (default 5s).
	ReadinessInterval time.Duration
	// Retention is how long changes stay resumable before compaction (default 168h).
	Retention time.Duration
	// DisableReflection turns off the gRPC reflection service.
	DisableReflection bool
	// Syncer serves GetSyncStatus, TriggerSync and PurgeDirectory; nil when nothing syncs.
	Syncer Syncer
	// Sinks add the sinks' statuses to GetSyncStatus; nil when no sink is configured.
	Sinks Sinks
	// Providers serves ListProviderTypes.
	Providers *providers.Registry
	// Enrollment configures DeviceEnrollmentService (always registered; without secrets
	// every call fails FAILED_PRECONDITION).
	Enrollment EnrollmentOptions
	// Auth holds the API keys and client-certificate roles; empty means auth is off.
	Auth AuthOptions
	// TLS, when set, serves both listeners over TLS (see LoadTLS).
	TLS *TLSFiles
	// MeterProvider, TracerProvider and Propagators instrument RPCs and streams
	// (defaults: no metrics, no spans, W3C trace context).
	MeterProvider  metric.MeterProvider
	TracerProvider trace.TracerProvider
	Propagators    propagation.TextMapPropagator
}

func (o *Options) defaults() {
	if o.Heartbeat <= 0 {
		o.Heartbeat = 10 * time.Second
	}
	if o.SendTimeout <= 0 {
		o.SendTimeout = 30 * time.Second
	}
	if o.RingSize <= 0 {
		o.RingSize = 1 << 16
	}
	if o.ReadinessInterval <= 0 {
		o.ReadinessInterval = 5 * time.Second
	}
	if o.Retention <= 0 {
		o.Retention = 168 * time.Hour
	}
	if o.MeterProvider == nil {
		o.MeterProvider = metricnoop.NewMeterProvider()
	}
	if o.TracerProvider == nil {
		o.TracerProvider = tracenoop.NewTracerProvider()
	}
	if o.Propagators == nil {
		o.Propagators = propagation.TraceContext{}
	}
}

// Server serves one store over gRPC and REST.
type Server struct {
	store   store.Store
	log     *slog.Logger
	opts    Options
	replica *replica.Replica
	grpc    *grpc.Server
	health  *health.Server
	syncSvc *syncService
	enroll  *enrollmentService
	// loaded is closed once the replica holds the whole store.
	loaded chan struct{}
	// bc is the running broadcaster, for the metrics.
	bc atomic.Pointer[broadcaster]
	// gatewayToken proves to the authenticator that a call comes from this server's own
	// gateway (see gatewayClientKey); empty without TLS.
	gatewayToken string
}

// New returns a server of st. It serves nothing until Run.
func New(st store.Store, log *slog.Logger, opts Options) *Server {
	opts.defaults()
	s := &Server{store: st, log: log, opts: opts, replica: replica.New(), health: health.NewServer(), loaded: make(chan struct{})}
	logOpts := []logging.Option{logging.WithLogOnEvents(logging.FinishCall)}
	recoverOpt := recovery.WithRecoveryHandler(func(p any) error {
		log.Error("panic in handler", "panic", p)
		return status.Error(codes.Internal, "internal error")
	})
	authn := &authenticator{opts: opts.Auth, log: log}
	if opts.TLS != nil {
		authn.gatewayToken = rand.Text()
		s.gatewayToken = authn.gatewayToken
	}
	if !opts.Auth.Enabled() {
		log.Warn("auth is off: no API keys or client certificates are configured; every caller has every right, so listen on loopback only")
	} else {
		log.Info("auth is on", "api_keys", len(opts.Auth.APIKeys), "client_cert_subjects", len(opts.Auth.ClientCertRoles), "tls", opts.TLS != nil)
	}
	serverOpts := []grpc.ServerOption{grpc.StatsHandler(otelgrpc.NewServerHandler(otelgrpc.WithMeterProvider(opts.MeterProvider),
		otelgrpc.WithTracerProvider(opts.TracerProvider), otelgrpc.WithPropagators(opts.Propagators)))}
	if opts.TLS != nil {
		serverOpts = append(serverOpts, grpc.Creds(credentials.NewTLS(opts.TLS.serverConfig("h2"))))
	}
	s.grpc = grpc.NewServer(append(serverOpts,
		grpc.ForceServerCodecV2(newCodec()),
		grpc.ChainUnaryInterceptor(
			logging.UnaryServerInterceptor(slogAdapter(log), logOpts...),
			authn.unary(),
			unaryErrors(log),
			recovery.UnaryServerInterceptor(recoverOpt),
		),
		grpc.ChainStreamInterceptor(
			logging.StreamServerInterceptor(slogAdapter(log), logOpts...),
			authn.stream(),
			streamErrors(log),
			recovery.StreamServerInterceptor(recoverOpt),
		),
	)...)
	metrics, err := newStreamMetrics(opts.MeterProvider, st, s.bc.Load)
	if err != nil {
		log.Error("stream metrics are off", "error", err)
		metrics = nil
	}
	s.syncSvc = &syncService{store: st, heartbeat: opts.Heartbeat, sendTimeout: opts.SendTimeout,
		replica: s.replica, syncer: opts.Syncer, providers: opts.Providers, metrics: metrics}
	s.syncSvc.sinks = opts.Sinks
	dirsyncv1.RegisterSyncServiceServer(s.grpc, s.syncSvc)
	q := &queryService{replica: s.replica, loaded: s.loaded}
	dirsyncv1.RegisterDirectoryQueryServer(s.grpc, q)
	s.enroll = &enrollmentService{store: st, q: q, opts: opts.Enrollment, now: time.Now}
	dirsyncv1.RegisterDeviceEnrollmentServiceServer(s.grpc, s.enroll)
	healthpb.RegisterHealthServer(s.grpc, s.health)
	for _, name := range readyServices {
		s.health.SetServingStatus(name, healthpb.HealthCheckResponse_NOT_SERVING)
	}
	if !opts.DisableReflection {
		reflection.Register(s.grpc)
	}
	return s
}

// Replica returns the server's in-memory index of the store.
func (s *Server) Replica() *replica.Replica { return s.replica }

// Run serves gRPC on grpcLis and, when httpLis is not nil, REST, OpenAPI and /healthz on
// httpLis, until ctx ends; then it ends every stream, stops the listeners and returns nil.
// It does not close the store.
func (s *Server) Run(ctx context.Context, grpcLis, httpLis net.Listener) error {
	v, err := s.store.Versions(ctx)
	if err != nil {
		return fmt.Errorf("read store versions: %w", err)
	}
	bgCtx, stopBackground := context.WithCancel(ctx)
	defer stopBackground()
	s.syncSvc.bc = newBroadcaster(s.store, s.log, s.opts.RingSize, v.Latest)
	s.bc.Store(s.syncSvc.bc)
	s.syncSvc.stopping = bgCtx.Done()

	var wg sync.WaitGroup
	wg.Go(func() { s.syncSvc.bc.run(bgCtx) })
	wg.Go(func() { follow(bgCtx, s.store, s.syncSvc.bc, s.replica, s.log, s.loaded) })
	wg.Go(func() { s.compact(bgCtx) })
	if s.enroll.ready() == nil {
		wg.Go(func() { s.enroll.revokeFollow(bgCtx, s.syncSvc.bc, s.loaded, s.log) })
	}

	errc := make(chan error, 2)
	go func() { errc <- s.grpc.Serve(grpcLis) }()
	var hs *http.Server
	if httpLis != nil {
		h, err := s.httpHandler(bgCtx, grpcLis.Addr().String())
		if err != nil {
			return err
		}
		hs = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
		if s.opts.TLS != nil {
			httpLis = tls.NewListener(httpLis, s.opts.TLS.serverConfig("h2", "http/1.1"))
		}
		go func() { errc <- hs.Serve(httpLis) }()
	}
	select {
	case <-s.loaded:
		s.health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
		wg.Go(func() { s.followReadiness(bgCtx, s.opts.ReadinessInterval) })
		s.log.Info("serving", "grpc", grpcLis.Addr().String(), "http", addrOf(httpLis), "record_version", s.replica.Version())
	case <-ctx.Done():
	}
	select {
	case <-ctx.Done():
		err = nil
	case err = <-errc:
		err = fmt.Errorf("listener stopped: %w", err)
	}
	s.health.Shutdown()
	stopBackground() // ends every stream (UNAVAILABLE: clients resume elsewhere)
	if hs != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = hs.Shutdown(sctx)
		cancel()
	}
	s.grpc.GracefulStop()
	wg.Wait()
	s.syncSvc.frames.close()
	if errors.Is(err, http.ErrServerClosed) || errors.Is(err, grpc.ErrServerStopped) {
		err = nil
	}
	return err
}

// compact removes changes older than the retention period, once a minute.
func (s *Server) compact(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		if n, err := s.store.Compact(ctx, time.Now().Add(-s.opts.Retention)); err != nil && ctx.Err() == nil {
			s.log.Error("compacting the change log", "error", err)
		} else if n > 0 {
			s.log.Info("compacted the change log", "removed", n)
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
}

func addrOf(l net.Listener) string {
	if l == nil {
		return ""
	}
	return l.Addr().String()
}

// slogAdapter routes the middleware's request logs to log.
func slogAdapter(log *slog.Logger) logging.Logger {
	return logging.LoggerFunc(func(ctx context.Context, lvl logging.Level, msg string, fields ...any) {
		log.Log(ctx, slog.Level(lvl), msg, fields...)
	})
}
