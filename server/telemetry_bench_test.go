package server

import (
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/grpc/metadata"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store"
	"github.com/dirsync/dirsync/store/memory"
)

// BenchmarkOperationsOverhead streams 200,000 user records with SyncLatest from a server
// with auth, metrics and sampled tracing on and, in the same run, from one with all of it
// off (the baseline), and reports both rates and their ratio.
func BenchmarkOperationsOverhead(b *testing.B) {
	const records = 200_000
	st := memory.New()
	for i := 0; i < records; i += 10_000 {
		_, err := st.Apply(context.Background(), store.Batch{Directory: "corp", Records: benchUsers("corp", i, 10_000)})
		require.NoError(b, err)
	}
	const key = "bench-key"
	plain := startServer(b, st, Options{})
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))
	b.Cleanup(func() { _ = mp.Shutdown(context.Background()); _ = tp.Shutdown(context.Background()) })
	instrumented := startServer(b, st, Options{MeterProvider: mp, TracerProvider: tp,
		Auth: AuthOptions{APIKeys: []APIKey{{Name: "bench", Role: RoleSubscriber, SHA256: sha256.Sum256([]byte(key))}}}})
	plainConn := dialCounting(b, plain.grpcAddr)
	defer plainConn.Close()
	instConn := dialCounting(b, instrumented.grpcAddr)
	defer instConn.Close()
	authCtx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+key)

	var base, ours time.Duration
	run := func(ctx context.Context, ts *testServer) time.Duration {
		conn := plainConn
		if ts == instrumented {
			conn = instConn
		}
		start := time.Now()
		stream, err := conn.NewStream(ctx, streamDesc, dirsyncv1.SyncService_SyncLatest_FullMethodName)
		require.NoError(b, err)
		require.NoError(b, stream.SendMsg(&dirsyncv1.SyncLatestRequest{}))
		require.NoError(b, stream.CloseSend())
		n, _ := readAll(b, stream, 0)
		require.Equal(b, records, n)
		return time.Since(start)
	}
	for b.Loop() {
		base += run(context.Background(), plain)
		ours += run(authCtx, instrumented)
	}
	runs := float64(b.N)
	b.ReportMetric(records*runs/ours.Seconds(), "records/s")
	b.ReportMetric(records*runs/base.Seconds(), "plain-records/s")
	b.ReportMetric(base.Seconds()/ours.Seconds(), "ratio")
}
