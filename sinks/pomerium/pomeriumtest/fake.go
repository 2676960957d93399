// Package pomeriumtest is a fake Pomerium databroker for tests, written from Pomerium's public
// API: it verifies each call's JWT (HS256 with an unexpired exp, signed with the shared
// secret, in the `jwt` metadata key), applies Puts and serves SyncLatest. A test can restart
// it empty (a new server_version) and edit its records behind a sink's back.
package pomeriumtest

import (
	"context"
	"errors"
	"maps"
	"math/rand/v2"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/dirsync/dirsync/gen/databroker"
)

// Fake is a DataBrokerService written from Pomerium's public API: every call must
// carry an HS256 JWT with an unexpired exp claim, signed with the shared secret, in the
// `jwt` metadata key; Put upserts records (or deletes those with deleted_at) and assigns
// versions; SyncLatest streams the live records of a type, then the versions. It refuses
// requests of 1 MiB or more. restart replaces it with an empty one (a new server_version) on
// the same address; set and remove change records behind the sink's back.
type Fake struct {
	databroker.UnimplementedDataBrokerServiceServer
	t testing.TB
	// Addr is the loopback host:port it serves on.
	Addr string
	key  []byte

	mu            sync.Mutex
	srv           *grpc.Server
	serverVersion uint64
	version       uint64
	records       map[string]map[string]*databroker.Record // type → id → record
	puts          int                                      // Put calls served
	putRecords    int                                      // records received by Put
	maxPut        int                                      // largest PutRequest, encoded bytes
	authFailures  int
	onPut         func(n int) // called (unlocked) after each Put
	failPuts      int         // Puts still to refuse with UNAVAILABLE
}

// FailPuts makes the next n Puts fail with UNAVAILABLE, storing nothing.
func (f *Fake) FailPuts(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failPuts = n
}

// OnPut sets a function called after each Put with the number of records it carried (nil:
// none).
func (f *Fake) OnPut(fn func(n int)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.onPut = fn
}

// Start serves a fake databroker on a loopback port until the test ends.
func Start(t testing.TB, key []byte) *Fake {
	f := &Fake{t: t, key: key}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	f.Addr = l.Addr().String()
	f.serve(l)
	t.Cleanup(f.Stop)
	return f
}

// serve starts an empty databroker on l.
func (f *Fake) serve(l net.Listener) {
	srv := grpc.NewServer(grpc.MaxRecvMsgSize(1<<20-1),
		grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			if err := f.authenticate(ctx); err != nil {
				return nil, err
			}
			return h(ctx, req)
		}),
		grpc.StreamInterceptor(func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			if err := f.authenticate(ss.Context()); err != nil {
				return err
			}
			return h(srv, ss)
		}))
	databroker.RegisterDataBrokerServiceServer(srv, f)
	f.mu.Lock()
	f.srv = srv
	f.serverVersion = rand.Uint64()
	f.version = 0
	f.records = map[string]map[string]*databroker.Record{}
	f.mu.Unlock()
	go func() { _ = srv.Serve(l) }()
}

// Stop stops serving (Start stops it when the test ends).
func (f *Fake) Stop() {
	f.mu.Lock()
	srv := f.srv
	f.mu.Unlock()
	srv.Stop()
}

// Restart stops the databroker and starts an empty one, with a new server_version, on the
// same address.
func (f *Fake) Restart() {
	f.Stop()
	var l net.Listener
	require.Eventually(f.t, func() bool {
		var err error
		l, err = net.Listen("tcp", f.Addr)
		return err == nil
	}, 10*time.Second, 10*time.Millisecond)
	f.serve(l)
}

// authenticate checks the `jwt` metadata: HS256, signed with the key, exp in the future.
func (f *Fake) authenticate(ctx context.Context) error {
	md, _ := metadata.FromIncomingContext(ctx)
	toks := md.Get("jwt")
	err := errors.New("no jwt metadata")
	if len(toks) == 1 {
		_, err = jwt.Parse(toks[0], func(*jwt.Token) (any, error) { return f.key, nil },
			jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired())
	}
	if err != nil {
		f.mu.Lock()
		f.authFailures++
		f.mu.Unlock()
		return status.Errorf(codes.Unauthenticated, "invalid service token: %v", err)
	}
	return nil
}

// Put implements databroker.DataBrokerServiceServer.
func (f *Fake) Put(_ context.Context, req *databroker.PutRequest) (*databroker.PutResponse, error) {
	f.mu.Lock()
	if f.failPuts > 0 {
		f.failPuts--
		f.mu.Unlock()
		return nil, status.Error(codes.Unavailable, "databroker unavailable (injected)")
	}
	resp := &databroker.PutResponse{ServerVersion: f.serverVersion}
	for _, r := range req.GetRecords() {
		r = proto.Clone(r).(*databroker.Record)
		f.version++
		r.Version, r.ModifiedAt = f.version, timestamppb.Now()
		byID := f.records[r.Type]
		if byID == nil {
			byID = map[string]*databroker.Record{}
			f.records[r.Type] = byID
		}
		if r.DeletedAt != nil {
			delete(byID, r.Id)
		} else {
			byID[r.Id] = r
		}
		resp.Records = append(resp.Records, r)
	}
	f.puts++
	f.putRecords += len(req.GetRecords())
	f.maxPut = max(f.maxPut, proto.Size(req))
	hook := f.onPut
	f.mu.Unlock()
	if hook != nil {
		hook(len(req.GetRecords()))
	}
	return resp, nil
}

// SyncLatest implements databroker.DataBrokerServiceServer.
func (f *Fake) SyncLatest(req *databroker.SyncLatestRequest, stream grpc.ServerStreamingServer[databroker.SyncLatestResponse]) error {
	f.mu.Lock()
	var recs []*databroker.Record
	for typ, byID := range f.records {
		if req.GetType() == "" || req.GetType() == typ {
			recs = append(recs, slices.Collect(maps.Values(byID))...)
		}
	}
	versions := &databroker.Versions{ServerVersion: f.serverVersion, LatestRecordVersion: f.version}
	f.mu.Unlock()
	for _, r := range recs {
		if err := stream.Send(&databroker.SyncLatestResponse{Response: &databroker.SyncLatestResponse_Record{Record: r}}); err != nil {
			return err
		}
	}
	return stream.Send(&databroker.SyncLatestResponse{Response: &databroker.SyncLatestResponse_Versions{Versions: versions}})
}

// Set writes a record behind the sink's back.
func (f *Fake) Set(r *databroker.Record) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.version++
	r.Version = f.version
	if f.records[r.Type] == nil {
		f.records[r.Type] = map[string]*databroker.Record{}
	}
	f.records[r.Type][r.Id] = r
}

// Remove deletes a record behind the sink's back.
func (f *Fake) Remove(typ, id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.records[typ], id)
}

// Get returns a live record, or nil.
func (f *Fake) Get(typ, id string) *databroker.Record {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.records[typ][id]
}

// Count returns how many live records of typ the databroker holds.
func (f *Fake) Count(typ string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.records[typ])
}

// Stats returns the Put calls and records received so far, the largest request, and the
// calls refused for authentication.
func (f *Fake) Stats() (puts, records, maxPut, authFailures int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.puts, f.putRecords, f.maxPut, f.authFailures
}

// ServerVersion returns the current server_version.
func (f *Fake) ServerVersion() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.serverVersion
}
