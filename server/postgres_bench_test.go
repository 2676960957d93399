package server

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store"
	"github.com/dirsync/dirsync/store/postgres"
	"github.com/dirsync/dirsync/store/postgres/pgtest"
)

// BenchmarkPostgresSyncLatest streams 1,000,000 user records with SyncLatest from a
// PostgreSQL store and, in the same run, from bolt (the same records), and reports both
// rates and the ratio.
func BenchmarkPostgresSyncLatest(b *testing.B) {
	dsn := pgtest.Database(b, "")
	pg, err := postgres.Open(context.Background(), dsn)
	require.NoError(b, err)
	defer pg.Close()
	for i := 0; i < benchRecords; i += 10_000 {
		_, err := pg.Apply(context.Background(), store.Batch{Directory: "corp", Records: benchUsers("corp", i, 10_000)})
		require.NoError(b, err)
	}
	bolt := openBenchStore(b)
	rate := func(st store.Store) float64 {
		ts := startServer(b, st, Options{})
		conn := dialCounting(b, ts.conn.Target())
		defer conn.Close()
		start := time.Now()
		stream, err := conn.NewStream(context.Background(), streamDesc, "/dirsync.v1.SyncService/SyncLatest")
		require.NoError(b, err)
		require.NoError(b, stream.SendMsg(&dirsyncv1.SyncLatestRequest{}))
		require.NoError(b, stream.CloseSend())
		n, _ := readAll(b, stream, 0)
		require.Equal(b, benchRecords, n)
		return benchRecords / time.Since(start).Seconds()
	}
	var pgRate, boltRate float64
	for b.Loop() {
		pgRate += rate(pg)
		boltRate += rate(bolt)
	}
	b.ReportMetric(pgRate/float64(b.N), "records/s")
	b.ReportMetric(boltRate/float64(b.N), "bolt-records/s")
	b.ReportMetric(pgRate/boltRate, "ratio")
}

// BenchmarkReplicaLatency: two servers (replicas) on one PostgreSQL database; a change
// applied through replica A's store reaches a Sync subscriber of replica B. It reports
// p50/p99 of the time from the Apply call to B's subscriber receiving the change.
func BenchmarkReplicaLatency(b *testing.B) {
	dsn := pgtest.Database(b, "")
	stA, err := postgres.Open(context.Background(), dsn)
	require.NoError(b, err)
	defer stA.Close()
	stB, err := postgres.Open(context.Background(), dsn)
	require.NoError(b, err)
	defer stB.Close()
	startServer(b, stA, Options{})
	tsB := startServer(b, stB, Options{})
	v, err := stB.Versions(context.Background())
	require.NoError(b, err)
	stream, err := tsB.sync.Sync(context.Background(), &dirsyncv1.SyncRequest{ServerVersion: v.ServerVersion, RecordVersion: v.Latest})
	require.NoError(b, err)
	_, err = stream.Header()
	require.NoError(b, err)
	const changes = 200
	var lat []time.Duration
	for b.Loop() {
		for i := range changes {
			start := time.Now()
			_, err := stA.Apply(context.Background(), store.Batch{Directory: "corp", Records: benchUsers("corp", i, 1)})
			require.NoError(b, err)
			for {
				resp, err := stream.Recv()
				require.NoError(b, err)
				if len(resp.Records) > 0 {
					break
				}
			}
			lat = append(lat, time.Since(start))
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
