package pomerium

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/dirsync/dirsync/gen/databroker"
	"github.com/dirsync/dirsync/sinks/pomerium/pomeriumtest"
	"github.com/dirsync/dirsync/store"
)

// captureClient keeps the PutRequests it is sent, answering each with success.
type captureClient struct {
	databroker.DataBrokerServiceClient
	mu   sync.Mutex
	reqs []*databroker.PutRequest
}

func (c *captureClient) Put(_ context.Context, req *databroker.PutRequest, _ ...grpc.CallOption) (*databroker.PutResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reqs = append(c.reqs, proto.Clone(req).(*databroker.PutRequest))
	return &databroker.PutResponse{}, nil
}

// prebuilt returns the Puts the sink sends for the records of st, built ahead.
func prebuilt(b *testing.B, st store.Store) []*databroker.PutRequest {
	c := &captureClient{}
	p := &putter{client: c, max: MaxPutBytes, attempts: 1, timeout: time.Minute, sent: func(int, uint64) {}}
	ctx := context.Background()
	_, err := st.Snapshot(ctx, store.Filter{}, func(r store.Record) error {
		e, err := decodeEntry(r)
		if err != nil {
			return err
		}
		return p.add(ctx, e.record(time.Time{}))
	})
	require.NoError(b, err)
	require.NoError(b, p.flush(ctx))
	return c.reqs
}

// BenchmarkPush1M: records/s a sink pushes into an empty fake databroker for a directory of
// 1,000,000 users (from start to the last record stored: the reconciliation reads the empty
// databroker and the store twice, converts and Puts), against a bare client sending the
// same Puts, built ahead, one after another (the transport's and the fake's limit).
func BenchmarkPush1M(b *testing.B) {
	const n = 1_000_000
	st := fillUsers(b, n)
	b.Cleanup(func() { _ = st.Close() })
	reqs := prebuilt(b, st)
	key := newKey(b)
	var sinkTime, bareTime time.Duration
	for b.Loop() {
		f := pomeriumtest.Start(b, key)
		start := time.Now()
		r := runSink(b, st, f, key, []string{dir}, nil)
		for f.Count(TypeUser) < n {
			time.Sleep(time.Millisecond)
		}
		sinkTime += time.Since(start)
		r.stop()
		f.Stop()

		f = pomeriumtest.Start(b, key)
		conn, err := Dial(Target{URL: "http://" + f.Addr, SharedSecret: key})
		require.NoError(b, err)
		client := databroker.NewDataBrokerServiceClient(conn)
		start = time.Now()
		for _, req := range reqs {
			_, err := client.Put(context.Background(), req)
			require.NoError(b, err)
		}
		bareTime += time.Since(start)
		require.Equal(b, n, f.Count(TypeUser))
		require.NoError(b, conn.Close())
		f.Stop()
	}
	sinkRate := float64(n*b.N) / sinkTime.Seconds()
	bareRate := float64(n*b.N) / bareTime.Seconds()
	b.ReportMetric(sinkRate, "sink_records/s")
	b.ReportMetric(bareRate, "bare_records/s")
	b.ReportMetric(sinkRate/bareRate, "sink/bare")
	b.ReportMetric(float64(len(reqs)), "puts")
}
