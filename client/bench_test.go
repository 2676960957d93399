package client

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/server"
	"github.com/dirsync/dirsync/store"
	"github.com/dirsync/dirsync/store/bolt"
)

const benchUsers = 1_000_000

var (
	benchOnce   sync.Once
	benchSt     store.Store
	benchGroups []string
	benchIDs    []string
	benchErr    error
	benchDir    string // removed by TestMain
)

// benchStore returns a bolt store (in a temporary directory that TestMain removes) shaped
// like a large IdP tenant, built once per process in batches of 10,000: 1,110 groups in a three-level tree (10 roots × 10 departments × 10
// teams) and 1,000,000 users, each in 4 random teams and 1 other group.
func benchStore(b *testing.B) store.Store {
	benchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "dirsync-client-bench")
		if err != nil {
			benchErr = err
			return
		}
		benchDir = dir
		st, err := bolt.Open(filepath.Join(dir, "bench.db"))
		if err != nil {
			benchErr = err
			return
		}
		ctx := context.Background()
		var groups, teams []*dirsyncv1.Record
		for a := range 10 {
			root := fmt.Sprintf("root-%d", a)
			groups = append(groups, testGroup("corp", root))
			for d := range 10 {
				dept := fmt.Sprintf("%s-dept-%d", root, d)
				groups = append(groups, testGroup("corp", dept, root))
				for t := range 10 {
					team := testGroup("corp", fmt.Sprintf("%s-team-%d", dept, t), dept)
					groups, teams = append(groups, team), append(teams, team)
				}
			}
		}
		if _, benchErr = st.Apply(ctx, store.Batch{Directory: "corp", Records: groups}); benchErr != nil {
			return
		}
		for _, g := range groups {
			benchGroups = append(benchGroups, g.GetId())
		}
		rng := rand.New(rand.NewPCG(1, 2))
		batch := make([]*dirsyncv1.Record, 0, 10_000)
		for i := range benchUsers {
			id := fmt.Sprintf("00u%016x", rng.Uint64())
			gs := []string{benchGroups[rng.IntN(len(benchGroups))]}
			for range 4 {
				gs = append(gs, teams[rng.IntN(len(teams))].GetId())
			}
			slices.Sort(gs)
			u := testUser("corp", id, slices.Compact(gs)...)
			u.GetUser().Username = fmt.Sprintf("user%d", i)
			batch = append(batch, u)
			benchIDs = append(benchIDs, id)
			if len(batch) == cap(batch) {
				if _, benchErr = st.Apply(ctx, store.Batch{Directory: "corp", Records: batch}); benchErr != nil {
					return
				}
				batch = batch[:0]
			}
		}
		benchSt = st
	})
	require.NoError(b, benchErr)
	return benchSt
}

// BenchmarkIsMember checks random (user, group) pairs, through the client, on a replica of
// 1,000,000 users and 1,110 nested groups loaded from a server. The baseline is the same
// call on the replica itself; x-replica is the ratio of the times. replica-MiB is the heap
// the client's replica takes.
func BenchmarkIsMember(b *testing.B) {
	st := benchStore(b)
	ts := startServer(b, st, server.Options{})
	ts.waitLoaded(b, st)
	before := heapInUse()
	c := startClient(b, ts, Options{})
	require.NoError(b, c.WaitReady(within(b, 5*time.Minute)))
	replicaHeap := heapInUse() - before

	type pair struct{ user, group string }
	rng := rand.New(rand.NewPCG(3, 4))
	pairs := make([]pair, 4096)
	for i := range pairs {
		pairs[i] = pair{benchIDs[rng.IntN(len(benchIDs))], benchGroups[rng.IntN(len(benchGroups))]}
	}
	r := c.Replica()
	hits := 0
	for _, p := range pairs { // warm both paths' caches alike
		if c.IsMember("corp", p.user, p.group) != r.IsMember("corp", p.user, p.group) {
			hits++
		}
	}
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		p := pairs[i%len(pairs)]
		if c.IsMember("corp", p.user, p.group) {
			hits++
		}
		i++
	}
	ours := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	start := time.Now()
	for i := range b.N {
		p := pairs[i%len(pairs)]
		if r.IsMember("corp", p.user, p.group) {
			hits--
		}
	}
	base := float64(time.Since(start).Nanoseconds()) / float64(b.N)
	b.ReportMetric(ours/base, "x-replica")
	b.ReportMetric(float64(hits), "disagreements") // must be 0
	b.ReportMetric(float64(replicaHeap)/(1<<20), "replica-MiB")
}

// heapInUse returns the bytes of heap in use after a garbage collection.
func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse)
}

// BenchmarkCatchUp loads the 1,001,110 records of benchStore into a new client (SyncLatest
// until Ready: received, decoded, indexed and swapped in) and, in the same run from the same
// server, reads the same SyncLatest raw (records counted, not decoded) and decoded only (not
// indexed). It reports the three rates and ratio = client rate / raw rate.
func BenchmarkCatchUp(b *testing.B) {
	st := benchStore(b)
	v, err := st.Versions(context.Background())
	require.NoError(b, err)
	ts := startServer(b, st, server.Options{})
	ts.waitLoaded(b, st)
	conn := ts.dial(b)
	countConn, err := grpc.NewClient(ts.addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodecV2(countingCodec{})))
	require.NoError(b, err)
	defer countConn.Close()

	var ours, raw, decoded time.Duration
	records := 0
	for b.Loop() {
		start := time.Now()
		records = readLatest(b, countConn, func(m any) int { return m.(*counted).records }, func() any { return &counted{} })
		raw += time.Since(start)

		start = time.Now()
		n := readLatest(b, conn, func(m any) int { return len(m.(*dirsyncv1.SyncLatestResponse).GetRecords()) },
			func() any { return &dirsyncv1.SyncLatestResponse{} })
		decoded += time.Since(start)
		require.Equal(b, records, n)

		start = time.Now()
		c := New(conn, Options{Log: quiet})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- c.Run(ctx) }()
		require.NoError(b, c.WaitReady(within(b, 5*time.Minute)))
		ours += time.Since(start)
		cancel()
		require.NoError(b, <-done)
		require.Equal(b, v.Latest, c.Version())
		require.Equal(b, uint64(records), c.Metrics().RecordsApplied)
	}
	runs := float64(b.N * records)
	b.ReportMetric(runs/ours.Seconds(), "records/s")
	b.ReportMetric(runs/raw.Seconds(), "raw-records/s")
	b.ReportMetric(runs/decoded.Seconds(), "decoded-records/s")
	b.ReportMetric(raw.Seconds()/ours.Seconds(), "ratio")
}

// readLatest reads a whole SyncLatest stream into messages made by newMsg and returns the
// records counted by count.
func readLatest(b *testing.B, conn *grpc.ClientConn, count func(any) int, newMsg func() any) int {
	stream, err := conn.NewStream(context.Background(), &grpc.StreamDesc{ServerStreams: true}, "/dirsync.v1.SyncService/SyncLatest")
	require.NoError(b, err)
	require.NoError(b, stream.SendMsg(&dirsyncv1.SyncLatestRequest{}))
	require.NoError(b, stream.CloseSend())
	total := 0
	for {
		m := newMsg()
		if err := stream.RecvMsg(m); err == io.EOF {
			return total
		} else if err != nil {
			b.Fatal(err)
		}
		total += count(m)
	}
}

// countingCodec receives a SyncLatestResponse as a count of its records, without decoding
// them: the raw read rate of the stream.
type countingCodec struct{}

// counted is what countingCodec receives.
type counted struct{ records int }

func (countingCodec) Marshal(v any) (mem.BufferSlice, error) {
	return encoding.GetCodecV2("proto").Marshal(v)
}

func (countingCodec) Unmarshal(data mem.BufferSlice, v any) error {
	c := v.(*counted)
	buf := data.MaterializeToBuffer(mem.DefaultBufferPool())
	defer buf.Free()
	for b := buf.ReadOnlyData(); len(b) > 0; {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if m < 0 {
			return protowire.ParseError(m)
		}
		b = b[n+m:]
		if num == 1 {
			c.records++
		}
	}
	return nil
}

func (countingCodec) Name() string { return "proto" }
