// Package providertest holds what the provider packages' tests share. Harness runs a
// provider the way dirsyncd does: as one directory under a real syncer on a memory store,
// served by an in-process server with a Sync subscriber recording every change that
// reaches it, so that tests assert what an authorization engine would see, not what the
// provider returned. The rest is machinery for the vendors' fakes and the tests around
// them: Server (a fake's httptest server, which can record requests), BenchmarkSync (the
// one benchmark every provider runs), Counter (requests by endpoint), Progress (a
// counting providers.Progress), CheckOptions (option validation through the registry),
// and WriteJSON/OAuthError replies. Each fake's vendor model stays in its own package.
package providertest

import (
	"context"
	"io"
	"log/slog"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/server"
	"github.com/dirsync/dirsync/store"
	"github.com/dirsync/dirsync/store/memory"
	"github.com/dirsync/dirsync/syncer"
)

// Dir is the directory name the harness gives the provider.
const Dir = "corp"

// Harness is one running provider. Its first run has ended when Start returns.
type Harness struct {
	Store  store.Store
	Syncer *syncer.Syncer

	mu      sync.Mutex
	changes []*dirsyncv1.Record // received and not yet taken
	seen    uint64              // highest record_version received
	arrived chan struct{}       // closed and replaced on each arrival
}

// Start runs p until the test ends. Runs happen only when the test calls Sync (after the
// first, which Start waits for); the mass-deletion guard is off.
func Start(t testing.TB, p providers.Provider) *Harness {
	t.Helper()
	st := memory.New()
	sy := syncer.New(st, []syncer.Directory{{Name: Dir, Provider: "test", Source: p,
		Polling: syncer.Polling{MinDelay: time.Hour, MaxDelay: time.Hour, Timeout: time.Minute},
		Safety:  syncer.Safety{MaxDeleteFraction: 1}}}, syncer.Options{LeaseTTL: time.Minute})
	srv := server.New(st, slog.New(slog.NewTextHandler(io.Discard, nil)), server.Options{Syncer: sy})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = srv.Run(ctx, lis, nil) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	h := &Harness{Store: st, Syncer: sy, arrived: make(chan struct{})}
	v, err := st.Versions(ctx)
	require.NoError(t, err)
	stream, err := dirsyncv1.NewSyncServiceClient(conn).Sync(ctx, &dirsyncv1.SyncRequest{ServerVersion: v.ServerVersion, RecordVersion: v.Latest})
	require.NoError(t, err)
	received := make(chan struct{})
	go func() {
		defer close(received)
		for {
			m, err := stream.Recv()
			if err != nil {
				return
			}
			h.record(m.GetRecords())
		}
	}()
	go func() { defer wg.Done(); sy.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		conn.Close()
		<-received
		wg.Wait()
		st.Close()
	})
	require.Eventually(t, func() bool {
		s, err := sy.StatusOf(Dir)
		return err == nil && s.GetLastEnd() != nil
	}, 30*time.Second, 5*time.Millisecond, "the first run did not end")
	h.waitFor(t, 0)
	return h
}

func (h *Harness) record(recs []*dirsyncv1.Record) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range recs {
		h.changes = append(h.changes, r)
		h.seen = max(h.seen, r.GetVersion())
	}
	close(h.arrived)
	h.arrived = make(chan struct{})
}

// Sync runs the directory once and returns its status when the changes it wrote have
// reached the subscriber.
func (h *Harness) Sync(t testing.TB) *dirsyncv1.DirectoryStatus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, version, err := h.Syncer.Trigger(ctx, Dir, false)
	require.NoError(t, err)
	h.waitFor(t, version)
	return st
}

// SyncFull clears the directory's saved cursor, so that the provider is asked for the
// whole directory as when full_sync_interval is due, and runs it once.
func (h *Harness) SyncFull(t testing.TB) *dirsyncv1.DirectoryStatus {
	t.Helper()
	_, err := h.Store.Apply(context.Background(), store.Batch{Directory: Dir, SetCursor: true})
	require.NoError(t, err)
	return h.Sync(t)
}

// SyncFails runs the directory once and requires the run to fail with an error that
// contains want, and to apply nothing: no change reaches the subscriber.
func (h *Harness) SyncFails(t testing.TB, want string) *dirsyncv1.DirectoryStatus {
	t.Helper()
	st := h.Sync(t)
	require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_FAILURE, st.GetLastResult())
	require.Contains(t, st.GetLastError(), want)
	require.Empty(t, h.Changes(), "a failed run applies nothing")
	return st
}

// waitFor waits until the subscriber has seen version (0: the store's latest).
func (h *Harness) waitFor(t testing.TB, version uint64) {
	t.Helper()
	if version == 0 {
		v, err := h.Store.Versions(context.Background())
		require.NoError(t, err)
		version = v.Latest
	}
	deadline := time.After(30 * time.Second)
	for {
		h.mu.Lock()
		seen, arrived := h.seen, h.arrived
		h.mu.Unlock()
		if seen >= version {
			return
		}
		select {
		case <-arrived:
		case <-deadline:
			t.Fatalf("the subscriber saw version %d, want %d", seen, version)
		}
	}
}

// Changes returns the records that reached the subscriber since the last call, in order.
func (h *Harness) Changes() []*dirsyncv1.Record {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.changes
	h.changes = nil
	return out
}

// Status is the directory's status.
func (h *Harness) Status(t testing.TB) *dirsyncv1.DirectoryStatus {
	t.Helper()
	s, err := h.Syncer.StatusOf(Dir)
	require.NoError(t, err)
	return s
}

// Users returns the directory's live users in the store by id.
func (h *Harness) Users(t testing.TB) map[string]*dirsyncv1.User {
	t.Helper()
	out := map[string]*dirsyncv1.User{}
	for _, r := range h.live(t, dirsyncv1.RecordType_RECORD_TYPE_USER) {
		out[r.GetId()] = r.GetUser()
	}
	return out
}

// Groups returns the directory's live groups in the store by id.
func (h *Harness) Groups(t testing.TB) map[string]*dirsyncv1.Group {
	t.Helper()
	out := map[string]*dirsyncv1.Group{}
	for _, r := range h.live(t, dirsyncv1.RecordType_RECORD_TYPE_GROUP) {
		out[r.GetId()] = r.GetGroup()
	}
	return out
}

func (h *Harness) live(t testing.TB, typ dirsyncv1.RecordType) []*dirsyncv1.Record {
	t.Helper()
	var out []*dirsyncv1.Record
	_, err := h.Store.Snapshot(context.Background(), store.Filter{Types: []dirsyncv1.RecordType{typ}, Directories: []string{Dir}},
		func(r store.Record) error {
			rec, err := r.Decode()
			out = append(out, rec)
			return err
		})
	require.NoError(t, err)
	return out
}

// Upserted returns the ids of the live records of type typ among recs; Deleted the ids of
// tombstones. Both are sorted.
func Upserted(recs []*dirsyncv1.Record, typ dirsyncv1.RecordType) []string {
	return ids(recs, typ, false)
}

// Deleted returns the sorted ids of the tombstones of type typ among recs.
func Deleted(recs []*dirsyncv1.Record, typ dirsyncv1.RecordType) []string {
	return ids(recs, typ, true)
}

func ids(recs []*dirsyncv1.Record, typ dirsyncv1.RecordType, deleted bool) []string {
	var out []string
	for _, r := range recs {
		if r.GetType() == typ && r.GetDeleted() == deleted {
			out = append(out, r.GetId())
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
