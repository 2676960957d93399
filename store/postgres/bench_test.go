package postgres_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store"
	"github.com/dirsync/dirsync/store/bolt"
)

const (
	benchRecords = 1_000_000
	benchBatch   = 10_000
)

// benchUsers fills batch with the users of batch number n, about 200 bytes each once stored.
func benchUsers(batch []*dirsyncv1.Record, n int) {
	for i, r := range batch {
		id := fmt.Sprintf("00u%07d%08x", n*len(batch)+i, uint32(i)*2654435761)
		r.Reset()
		r.Type, r.Directory, r.Id = dirsyncv1.RecordType_RECORD_TYPE_USER, "corp-okta", id
		r.Data = &dirsyncv1.Record_User{User: &dirsyncv1.User{
			Id: id, Directory: "corp-okta", DisplayName: "Benchmark User " + id[3:10],
			Email: "user" + id[3:10] + "@example.com", Username: "user" + id[3:10],
			GivenName: "Bench", FamilyName: "User" + id[3:10], State: dirsyncv1.UserState_USER_STATE_ACTIVE,
			GroupIds: []string{"00g0000001", "00g0000002"}, EffectiveGroupIds: []string{"00g0000001", "00g0000002"},
		}}
	}
}

// fill applies benchRecords users to s in batches of benchBatch and returns the time spent in
// Apply.
func fill(b *testing.B, s store.Store) time.Duration {
	b.Helper()
	batch := make([]*dirsyncv1.Record, benchBatch)
	for i := range batch {
		batch[i] = new(dirsyncv1.Record)
	}
	var spent time.Duration
	for n := range benchRecords / benchBatch {
		benchUsers(batch, n)
		start := time.Now()
		_, err := s.Apply(context.Background(), store.Batch{Directory: "corp-okta", Records: batch})
		spent += time.Since(start)
		require.NoError(b, err)
	}
	return spent
}

// BenchmarkApply applies 1,000,000 users in batches of 10,000 to a fresh postgres store and,
// as the baseline, to a fresh bolt store, and reports both rates and their ratio.
func BenchmarkApply(b *testing.B) {
	needPostgres(b)
	var pgTime, boltTime time.Duration
	for b.Loop() {
		pg := open(b, newDatabase(b))
		pgTime += fill(b, pg)
		require.NoError(b, pg.Close())

		bs, err := bolt.Open(filepath.Join(b.TempDir(), "store.db"))
		require.NoError(b, err)
		boltTime += fill(b, bs)
		require.NoError(b, bs.Close())
	}
	records := float64(b.N) * benchRecords
	pgRate, boltRate := records/pgTime.Seconds(), records/boltTime.Seconds()
	b.ReportMetric(pgRate, "records/s")
	b.ReportMetric(boltRate, "bolt-records/s")
	b.ReportMetric(pgRate/boltRate, "ratio")
}

// BenchmarkSnapshot reads a full Snapshot of 1,000,000 users from postgres and, as the
// baseline, from bolt, and reports both rates, their ratio and postgres's time to the first
// record.
func BenchmarkSnapshot(b *testing.B) {
	needPostgres(b)
	pg := open(b, newDatabase(b))
	fill(b, pg)
	bs, err := bolt.Open(filepath.Join(b.TempDir(), "store.db"))
	require.NoError(b, err)
	defer bs.Close()
	fill(b, bs)

	read := func(s store.Store) (total, first time.Duration) {
		start := time.Now()
		n, size := 0, 0
		_, err := s.Snapshot(context.Background(), store.Filter{}, func(r store.Record) error {
			if n == 0 {
				first = time.Since(start)
			}
			n++
			size += len(r.Data)
			return nil
		})
		total = time.Since(start)
		require.NoError(b, err)
		require.Equal(b, benchRecords, n)
		return total, first
	}
	var pgTime, boltTime, firstTime time.Duration
	b.ResetTimer()
	for b.Loop() {
		total, first := read(pg)
		pgTime += total
		firstTime += first
		total, _ = read(bs)
		boltTime += total
	}
	records := float64(b.N) * benchRecords
	pgRate, boltRate := records/pgTime.Seconds(), records/boltTime.Seconds()
	b.ReportMetric(pgRate, "records/s")
	b.ReportMetric(boltRate, "bolt-records/s")
	b.ReportMetric(pgRate/boltRate, "ratio")
	b.ReportMetric(float64(firstTime.Microseconds())/float64(b.N)/1000, "first-record-ms")
}
