package server

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store/memory"
)

// TestSubscribersConverge: subscribers that start at any moment during concurrent writes, over
// gRPC and over REST, end up holding exactly the store's records.
func TestSubscribersConverge(t *testing.T) {
	st := memory.New()
	// A small ring makes late subscribers read part of their backlog from the store.
	ts := startServer(t, st, Options{RingSize: 64, Heartbeat: 50 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var subs []*subscriber
	startSub := func(rest bool) {
		s := newSubscriber()
		subs = append(subs, s)
		if rest {
			go s.runREST(ctx, ts.httpURL)
		} else {
			go s.runGRPC(ctx, ts.sync)
		}
	}
	startSub(false)
	startSub(true)

	var writers sync.WaitGroup
	for w := range 3 {
		writers.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			dir := fmt.Sprintf("dir%d", w%2)
			for range 150 {
				var recs []*dirsyncv1.Record
				seen := map[string]bool{}
				for range 1 + rng.IntN(20) {
					id := fmt.Sprintf("w%d-%d", w, rng.IntN(200))
					if seen[id] {
						continue
					}
					seen[id] = true
					switch rng.IntN(4) {
					case 0:
						recs = append(recs, deleted(testUser(dir, id)))
					case 1:
						recs = append(recs, testGroup(dir, id, fmt.Sprintf("w%d-%d", w, rng.IntN(200))))
					default:
						recs = append(recs, testUser(dir, id, fmt.Sprintf("g%d", rng.IntN(5))))
					}
				}
				apply(t, st, dir, recs...)
			}
		})
	}
	for i := range 4 {
		time.Sleep(20 * time.Millisecond)
		startSub(i%2 == 1)
	}
	writers.Wait()

	want, latest := storeState(t, st)
	require.NotEmpty(t, want)
	for i, s := range subs {
		waitFor(t, s, latest)
		got, _, err := s.state()
		require.NoError(t, err, "subscriber %d", i)
		require.Equal(t, want, got, "subscriber %d", i)
	}
}

// waitFor waits until the subscriber has applied version v (or failed).
func waitFor(t *testing.T, s *subscriber, v uint64) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		_, got, err := s.state()
		require.NoError(t, err)
		if got >= v {
			return
		}
		select {
		case <-s.changed:
		case <-deadline:
			t.Fatalf("subscriber stuck at version %d, want %d", got, v)
		}
	}
}

func TestSyncAborted(t *testing.T) {
	st := memory.New()
	apply(t, st, "corp", testUser("corp", "u1"))
	apply(t, st, "corp", testUser("corp", "u2"))
	v := apply(t, st, "corp", testUser("corp", "u3"))
	ts := startServer(t, st, Options{})

	reasonOf := func(req *dirsyncv1.SyncRequest) (codes.Code, string) {
		stream, err := ts.sync.Sync(context.Background(), req)
		require.NoError(t, err)
		_, err = stream.Recv()
		st := status.Convert(err)
		for _, d := range st.Details() {
			if info, ok := d.(*errdetails.ErrorInfo); ok {
				require.Equal(t, ErrorDomain, info.Domain)
				return st.Code(), info.Reason
			}
		}
		return st.Code(), ""
	}

	code, reason := reasonOf(&dirsyncv1.SyncRequest{ServerVersion: v.ServerVersion + 1, RecordVersion: 1})
	require.Equal(t, codes.Aborted, code)
	require.Equal(t, ReasonServerVersionMismatch, reason)

	code, reason = reasonOf(&dirsyncv1.SyncRequest{ServerVersion: v.ServerVersion, RecordVersion: v.Latest + 5})
	require.Equal(t, codes.Aborted, code)
	require.Equal(t, ReasonServerVersionMismatch, reason)

	n, err := st.Compact(context.Background(), time.Now().Add(time.Hour))
	require.NoError(t, err)
	require.Equal(t, 2, n)
	code, reason = reasonOf(&dirsyncv1.SyncRequest{ServerVersion: v.ServerVersion, RecordVersion: 1})
	require.Equal(t, codes.Aborted, code)
	require.Equal(t, ReasonRecordVersionTooOld, reason)

	// From the earliest retained version it resumes: exactly version 3, then live changes.
	stream, err := ts.sync.Sync(context.Background(), &dirsyncv1.SyncRequest{ServerVersion: v.ServerVersion, RecordVersion: 2})
	require.NoError(t, err)
	resp, err := stream.Recv()
	require.NoError(t, err)
	require.Len(t, resp.Records, 1)
	require.Equal(t, uint64(3), resp.Records[0].Version)
	require.Equal(t, "u3", resp.Records[0].Id)
	apply(t, st, "corp", deleted(testUser("corp", "u1")))
	resp, err = stream.Recv()
	require.NoError(t, err)
	require.Len(t, resp.Records, 1)
	require.Equal(t, uint64(4), resp.Records[0].Version)
	require.True(t, resp.Records[0].Deleted)
	require.Equal(t, "User u1", resp.Records[0].GetUser().GetDisplayName(), "a tombstone carries the last data")
}

// TestSyncFiltersAndCheckpoints: filters select records by type and directory; an idle stream
// gets checkpoints that cover the changes its filters excluded.
func TestSyncFiltersAndCheckpoints(t *testing.T) {
	st := memory.New()
	ts := startServer(t, st, Options{Heartbeat: 20 * time.Millisecond})
	v, err := st.Versions(context.Background())
	require.NoError(t, err)
	stream, err := ts.sync.Sync(context.Background(), &dirsyncv1.SyncRequest{ServerVersion: v.ServerVersion,
		Types: []dirsyncv1.RecordType{dirsyncv1.RecordType_RECORD_TYPE_GROUP}, Directories: []string{"a"}})
	require.NoError(t, err)
	apply(t, st, "a", testUser("a", "u1"), testGroup("a", "g1"))
	apply(t, st, "b", testGroup("b", "g1"))
	last := apply(t, st, "a", testUser("a", "u2"))

	resp, err := stream.Recv()
	require.NoError(t, err)
	require.Len(t, resp.Records, 1)
	require.Equal(t, "g1", resp.Records[0].Id)
	require.Equal(t, "a", resp.Records[0].Directory)
	for {
		resp, err := stream.Recv()
		require.NoError(t, err)
		require.Empty(t, resp.Records, "only group g1 of directory a passes the filter")
		if cp := resp.Checkpoint; cp != nil && cp.LatestRecordVersion == last.Latest {
			require.NotNil(t, cp.Time)
			break
		}
	}

	bad, err := ts.sync.Sync(context.Background(), &dirsyncv1.SyncRequest{ServerVersion: v.ServerVersion, Types: []dirsyncv1.RecordType{7}})
	require.NoError(t, err)
	_, err = bad.Recv()
	requireInvalid(t, err, "types")
	latest, err := ts.sync.SyncLatest(context.Background(), &dirsyncv1.SyncLatestRequest{Types: []dirsyncv1.RecordType{0}})
	require.NoError(t, err)
	_, err = latest.Recv()
	requireInvalid(t, err, "types")
}

// requireInvalid checks err is INVALID_ARGUMENT naming field.
func requireInvalid(t *testing.T, err error, field string) {
	t.Helper()
	if err != nil {
		if _, ok := status.FromError(err); !ok {
			t.Fatalf("not a status: %v", err)
		}
	}
	st := status.Convert(err)
	require.Equal(t, codes.InvalidArgument, st.Code(), "%v", err)
	require.Contains(t, st.Message(), field)
	var found bool
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			require.Equal(t, field, br.FieldViolations[0].Field)
			found = true
		}
	}
	require.True(t, found, "BadRequest detail naming %s", field)
}
