package main

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// change is one record received on a Sync stream: its version and deterministic bytes.
type change struct {
	version uint64
	data    string
}

// recorder follows a raw Sync stream and records every change it delivers, in order.
type recorder struct {
	mu      sync.Mutex
	changes []change
	err     error // why the stream ended; nil while it runs
	done    chan struct{}
}

// serverVersion returns the server_version a process reports in SyncLatest.
func serverVersion(ctx context.Context, t *testing.T, sc dirsyncv1.SyncServiceClient) uint64 {
	t.Helper()
	s, err := sc.SyncLatest(ctx, &dirsyncv1.SyncLatestRequest{}, grpc.WaitForReady(true))
	require.NoError(t, err)
	for {
		m, err := s.Recv()
		require.NoError(t, err)
		if m.Versions != nil {
			return m.Versions.ServerVersion
		}
	}
}

// follow opens Sync on sc after version from and records what it delivers until ctx ends or
// the stream fails.
func follow(ctx context.Context, t *testing.T, sc dirsyncv1.SyncServiceClient, server, from uint64) *recorder {
	t.Helper()
	s, err := sc.Sync(ctx, &dirsyncv1.SyncRequest{ServerVersion: server, RecordVersion: from}, grpc.WaitForReady(true))
	require.NoError(t, err)
	r := &recorder{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for {
			m, err := s.Recv()
			if err != nil {
				if errors.Is(err, io.EOF) {
					err = io.ErrUnexpectedEOF
				}
				r.mu.Lock()
				r.err = err
				r.mu.Unlock()
				return
			}
			r.mu.Lock()
			for _, rec := range m.Records {
				b, merr := proto.MarshalOptions{Deterministic: true}.Marshal(rec)
				if merr != nil {
					panic(merr)
				}
				r.changes = append(r.changes, change{rec.Version, string(b)})
			}
			r.mu.Unlock()
		}
	}()
	return r
}

// snapshot returns a copy of the changes recorded so far.
func (r *recorder) snapshot() []change {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]change(nil), r.changes...)
}

// last returns the version of the last change recorded, or 0.
func (r *recorder) last() uint64 {
	cs := r.snapshot()
	if len(cs) == 0 {
		return 0
	}
	return cs[len(cs)-1].version
}

// waitFor waits until the recorder has seen version v.
func (r *recorder) waitFor(t *testing.T, v uint64) {
	t.Helper()
	require.Eventually(t, func() bool { return r.last() >= v }, 20*time.Second, 5*time.Millisecond, "stream reached %d of %d", r.last(), v)
}

// requireContiguous fails unless the changes' versions are from+1, from+2, … with no gap
// and no duplicate.
func requireContiguous(t *testing.T, cs []change, from uint64) {
	t.Helper()
	for i, c := range cs {
		require.Equal(t, from+uint64(i)+1, c.version, "change %d", i)
	}
}
