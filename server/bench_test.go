package server

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
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
	"github.com/dirsync/dirsync/store"
	"github.com/dirsync/dirsync/store/bolt"
)

// benchUsers returns n user records of about 200 bytes each once stored.
func benchUsers(dir string, from, n int) []*dirsyncv1.Record {
	recs := make([]*dirsyncv1.Record, n)
	for i := range recs {
		id := fmt.Sprintf("00u%014d", from+i)
		r := testUser(dir, id, fmt.Sprintf("00g%07d", i%100), fmt.Sprintf("00g%07d", i%37))
		r.GetUser().GivenName, r.GetUser().FamilyName = "Given", fmt.Sprintf("Family%d", i)
		recs[i] = r
	}
	return recs
}

// countingCodec is a client codec that counts the records of a batch message without decoding
// them, so a benchmark measures the server and the transport, not client-side decoding.
type countingCodec struct{}

// counted receives one SyncLatestResponse/SyncResponse as a count of field-1 records.
type counted struct {
	records int
	other   bool // a non-record field (versions, checkpoint) was present
}

func (countingCodec) Marshal(v any) (mem.BufferSlice, error) {
	return encoding.GetCodecV2("proto").Marshal(v)
}

func (countingCodec) Unmarshal(data mem.BufferSlice, v any) error {
	c := v.(*counted)
	*c = counted{}
	buf := data.MaterializeToBuffer(mem.DefaultBufferPool())
	defer buf.Free()
	b := buf.ReadOnlyData()
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return protowire.ParseError(m)
		}
		b = b[m:]
		if num == 1 {
			c.records++
		} else {
			c.other = true
		}
	}
	return nil
}

func (countingCodec) Name() string { return "proto" }

func dialCounting(tb testing.TB, addr string) *grpc.ClientConn {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodecV2(countingCodec{})))
	require.NoError(tb, err)
	return conn
}

// readAll reads one stream to its end (or until it received want records when want > 0) and
// returns the records counted and the time to the first message.
func readAll(tb testing.TB, stream grpc.ClientStream, want int) (int, time.Duration) {
	start := time.Now()
	var first time.Duration
	total := 0
	for {
		var c counted
		if err := stream.RecvMsg(&c); err == io.EOF {
			return total, first
		} else if err != nil {
			tb.Fatal(err)
		}
		if first == 0 {
			first = time.Since(start)
		}
		total += c.records
		if want > 0 && total >= want {
			return total, first
		}
	}
}

var streamDesc = &grpc.StreamDesc{ServerStreams: true}

const benchRecords = 1_000_000

var (
	benchStoreOnce sync.Once
	benchStore     store.Store
	benchStoreErr  error
)

// openBenchStore returns a bolt store holding benchRecords users, built once per process.
func openBenchStore(b *testing.B) store.Store {
	benchStoreOnce.Do(func() {
		dir, err := os.MkdirTemp("", "dirsync-bench")
		if err != nil {
			benchStoreErr = err
			return
		}
		st, err := bolt.Open(filepath.Join(dir, "bench.db"))
		if err != nil {
			benchStoreErr = err
			return
		}
		for i := 0; i < benchRecords && err == nil; i += 10_000 {
			_, err = st.Apply(context.Background(), store.Batch{Directory: "corp", Records: benchUsers("corp", i, 10_000)})
		}
		benchStore, benchStoreErr = st, err
	})
	require.NoError(b, benchStoreErr)
	return benchStore
}

// BenchmarkSyncLatest streams 1,000,000 user records with SyncLatest over loopback gRPC, and,
// in the same run, the same records pre-marshalled in memory and sent by a bare grpc-go
// server: in the same batches as ours (the transport's limit: "ratio") and in batches of 100
// (the design guide's baseline: "ratio100"). It reports the rates and the ratios.
func BenchmarkSyncLatest(b *testing.B) {
	st := openBenchStore(b)

	// The baselines: every message built before the clock starts, in our batches of up to
	// 1,000 records ("Stream") and in batches of 100 ("Stream100", the design guide's
	// reference measurement).
	frames := map[string][][]byte{}
	for name, per := range map[string]int{"Stream": maxFrameRecords, "Stream100": 100} {
		var batch []byte
		n := 0
		_, err := st.Snapshot(context.Background(), store.Filter{}, func(r store.Record) error {
			batch = protowire.AppendBytes(protowire.AppendTag(batch, 1, protowire.BytesType), r.Data)
			if n++; n == per || len(batch) >= maxFrameBytes {
				frames[name] = append(frames[name], batch)
				batch, n = nil, 0
			}
			return nil
		})
		require.NoError(b, err)
		if n > 0 {
			frames[name] = append(frames[name], batch)
		}
	}
	bare := grpc.NewServer(grpc.ForceServerCodecV2(newCodec()))
	desc := grpc.ServiceDesc{ServiceName: "bench.Bare", HandlerType: (*any)(nil)}
	for name, fs := range frames {
		desc.Streams = append(desc.Streams, grpc.StreamDesc{StreamName: name, ServerStreams: true,
			Handler: func(_ any, ss grpc.ServerStream) error {
				for _, f := range fs {
					if err := ss.SendMsg(&rawMessage{buf: mem.SliceBuffer(f)}); err != nil {
						return err
					}
				}
				return nil
			}})
	}
	bare.RegisterService(&desc, nil)
	bareLis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(b, err)
	go bare.Serve(bareLis)
	defer bare.Stop()

	ts := startServer(b, st, Options{})
	conn := dialCounting(b, ts.conn.Target())
	defer conn.Close()
	bareConn := dialCounting(b, bareLis.Addr().String())
	defer bareConn.Close()

	var ours, base, base100 time.Duration
	var first time.Duration
	readBare := func(method string) time.Duration {
		start := time.Now()
		stream, err := bareConn.NewStream(context.Background(), streamDesc, method)
		require.NoError(b, err)
		require.NoError(b, stream.CloseSend())
		n, _ := readAll(b, stream, 0)
		require.Equal(b, benchRecords, n)
		return time.Since(start)
	}
	for b.Loop() {
		base += readBare("/bench.Bare/Stream")
		base100 += readBare("/bench.Bare/Stream100")

		start := time.Now()
		stream, err := conn.NewStream(context.Background(), streamDesc, "/dirsync.v1.SyncService/SyncLatest")
		require.NoError(b, err)
		require.NoError(b, stream.SendMsg(&dirsyncv1.SyncLatestRequest{}))
		require.NoError(b, stream.CloseSend())
		n, f := readAll(b, stream, 0)
		ours += time.Since(start)
		first += f
		require.Equal(b, benchRecords, n)
	}
	runs := float64(b.N)
	b.ReportMetric(benchRecords*runs/ours.Seconds(), "records/s")
	b.ReportMetric(benchRecords*runs/base.Seconds(), "bare-records/s")
	b.ReportMetric(base.Seconds()/ours.Seconds(), "ratio")
	b.ReportMetric(benchRecords*runs/base100.Seconds(), "bare100-records/s")
	b.ReportMetric(base100.Seconds()/ours.Seconds(), "ratio100")
	b.ReportMetric(float64(first.Milliseconds())/runs, "ms-to-first")
}

// BenchmarkFanout: 1,000 Sync subscribers, each on its own connection, receive one batch of
// 10,000 changes. It reports p50/p99 of the time from Apply to a subscriber holding all of
// them, and the allocations per change per subscriber (the whole process: server and the
// counting clients).
func BenchmarkFanout(b *testing.B) {
	for _, subs := range []int{100, 1000} {
		b.Run(fmt.Sprintf("subscribers=%d", subs), func(b *testing.B) { benchFanout(b, subs, 10_000) })
	}
}

func benchFanout(b *testing.B, subs, changes int) {
	st, err := bolt.Open(filepath.Join(b.TempDir(), "fanout.db"))
	require.NoError(b, err)
	defer st.Close()
	ts := startServer(b, st, Options{SendTimeout: time.Minute})
	var lat []time.Duration
	var mallocs uint64
	round := 0
	for b.Loop() {
		v, err := st.Versions(context.Background())
		require.NoError(b, err)
		var ready, done sync.WaitGroup
		times := make([]time.Time, subs)
		ctx, cancel := context.WithCancel(context.Background())
		for i := range subs {
			conn := dialCounting(b, ts.conn.Target())
			stream, err := conn.NewStream(ctx, streamDesc, "/dirsync.v1.SyncService/Sync")
			require.NoError(b, err)
			require.NoError(b, stream.SendMsg(&dirsyncv1.SyncRequest{ServerVersion: v.ServerVersion, RecordVersion: v.Latest}))
			require.NoError(b, stream.CloseSend())
			ready.Add(1)
			done.Go(func() {
				defer conn.Close()
				ready.Done()
				readAll(b, stream, changes)
				times[i] = time.Now()
			})
		}
		ready.Wait()
		time.Sleep(200 * time.Millisecond) // every stream registered and idle
		recs := benchUsers("corp", round*changes, changes)
		round++
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		start := time.Now()
		_, err = st.Apply(context.Background(), store.Batch{Directory: "corp", Records: recs})
		require.NoError(b, err)
		done.Wait()
		runtime.ReadMemStats(&m1)
		cancel()
		mallocs += m1.Mallocs - m0.Mallocs
		for _, t := range times {
			lat = append(lat, t.Sub(start))
		}
	}
	slices.Sort(lat)
	b.ReportMetric(lat[len(lat)/2].Seconds()*1000, "p50-ms")
	b.ReportMetric(lat[len(lat)*99/100].Seconds()*1000, "p99-ms")
	b.ReportMetric(float64(mallocs)/float64(b.N*changes*subs), "allocs/change/sub")
}

// BenchmarkIdleStreams measures the server's heap and stack growth per idle Sync stream, with
// the 1,000 clients (one connection each) in a child process so only the server is counted.
func BenchmarkIdleStreams(b *testing.B) {
	const streams = 1000
	st, err := bolt.Open(filepath.Join(b.TempDir(), "idle.db"))
	require.NoError(b, err)
	defer st.Close()
	ts := startServer(b, st, Options{})
	v, err := st.Versions(context.Background())
	require.NoError(b, err)
	for b.Loop() {
		before := serverMemory()
		cmd := exec.Command(os.Args[0], "-test.run=^TestIdleClients$")
		cmd.Env = append(os.Environ(), fmt.Sprintf("DIRSYNC_IDLE_CLIENTS=%s,%d,%d,%d", ts.conn.Target(), v.ServerVersion, v.Latest, streams))
		out, err := cmd.StdoutPipe()
		require.NoError(b, err)
		require.NoError(b, cmd.Start())
		buf := make([]byte, 5)
		_, err = io.ReadFull(out, buf) // "ready"
		require.NoError(b, err, "child: %s", buf)
		time.Sleep(time.Second)
		after := serverMemory()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		b.ReportMetric(float64(after-before)/streams/1024, "KiB/stream")
	}
}

// serverMemory is the heap in use plus goroutine stacks, after a GC.
func serverMemory() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse + m.StackInuse)
}

// TestIdleClients is the child of BenchmarkIdleStreams: it opens the streams, prints "ready"
// and waits to be killed. It does nothing in a normal test run.
func TestIdleClients(t *testing.T) {
	spec := os.Getenv("DIRSYNC_IDLE_CLIENTS")
	if spec == "" {
		t.Skip("child process of BenchmarkIdleStreams")
	}
	var sv, rv uint64
	var n int
	parts := strings.Split(spec, ",")
	addr := parts[0]
	_, err := fmt.Sscan(parts[1], &sv)
	require.NoError(t, err)
	_, err = fmt.Sscan(parts[2], &rv)
	require.NoError(t, err)
	_, err = fmt.Sscan(parts[3], &n)
	require.NoError(t, err)
	for range n {
		conn := dialCounting(t, addr)
		stream, err := conn.NewStream(context.Background(), streamDesc, "/dirsync.v1.SyncService/Sync")
		require.NoError(t, err)
		require.NoError(t, stream.SendMsg(&dirsyncv1.SyncRequest{ServerVersion: sv, RecordVersion: rv}))
		require.NoError(t, stream.CloseSend())
		_, err = stream.Header() // the server has accepted the stream
		require.NoError(t, err)
	}
	fmt.Print("ready")
	select {}
}
