package bolt

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bbolt "go.etcd.io/bbolt"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store"
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

// BenchmarkApply applies 1,000,000 users in batches of 10,000 to a fresh store and, as the
// baseline, puts the same records' stored bytes into a fresh bare bbolt file (same options
// and fill) in transactions of the same size. It reports both rates and their ratio, and, as
// side metrics, how long the full store takes to reopen and how fast a Snapshot reads it.
func BenchmarkApply(b *testing.B) {
	ctx := context.Background()
	batch := make([]*dirsyncv1.Record, benchBatch)
	for i := range batch {
		batch[i] = new(dirsyncv1.Record)
	}
	var applyTime, rawTime, reopenTime, snapTime time.Duration
	size := 0
	for b.Loop() {
		path := filepath.Join(b.TempDir(), "store.db")
		s, err := Open(path)
		require.NoError(b, err)
		for n := range benchRecords / benchBatch {
			benchUsers(batch, n)
			start := time.Now()
			_, err := s.Apply(ctx, store.Batch{Directory: "corp-okta", Records: batch})
			applyTime += time.Since(start)
			require.NoError(b, err)
		}
		require.NoError(b, s.Close())

		start := time.Now()
		s, err = Open(path)
		reopenTime += time.Since(start)
		require.NoError(b, err)
		start = time.Now()
		seen := 0
		_, err = s.Snapshot(ctx, store.Filter{}, func(r store.Record) error { seen += len(r.Data); return nil })
		snapTime += time.Since(start)
		require.NoError(b, err)
		require.NoError(b, s.Close())
		size = seen

		db, err := bbolt.Open(filepath.Join(b.TempDir(), "raw.db"), 0o600, boltOptions(0))
		require.NoError(b, err)
		keys, values := make([][]byte, benchBatch), make([][]byte, benchBatch)
		for n := range benchRecords / benchBatch {
			benchUsers(batch, n)
			for i, r := range batch {
				rec, err := store.Stamp(r, uint64(n*benchBatch+i+1), time.Now())
				require.NoError(b, err)
				keys[i], values[i] = []byte(rec.ID), rec.Data
			}
			start := time.Now()
			require.NoError(b, db.Update(func(tx *bbolt.Tx) error {
				bk, err := tx.CreateBucketIfNotExists([]byte("records"))
				if err != nil {
					return err
				}
				bk.FillPercent = recordsFill
				for i := range keys {
					if err := bk.Put(keys[i], values[i]); err != nil {
						return err
					}
				}
				return nil
			}))
			rawTime += time.Since(start)
		}
		require.NoError(b, db.Close())
	}
	records := float64(b.N) * benchRecords
	apply, raw := records/applyTime.Seconds(), records/rawTime.Seconds()
	b.ReportMetric(apply, "records/s")
	b.ReportMetric(raw, "raw-records/s")
	b.ReportMetric(apply/raw, "ratio")
	b.ReportMetric(float64(size)/benchRecords, "B/record")
	b.ReportMetric(records/snapTime.Seconds(), "snapshot-records/s")
	b.ReportMetric(float64(reopenTime.Milliseconds())/float64(b.N), "reopen-ms")
}
