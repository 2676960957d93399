package client

import (
	"context"
	"sync"
	"sync/atomic"

	"google.golang.org/grpc"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/replica"
)

// Client keeps a replica of a dirsync server's records current while Run runs. All methods
// are safe for concurrent use; lookups never wait for the network.
type Client struct {
	sync dirsyncv1.SyncServiceClient
	opts Options

	// current holds the replica lookups read. It is replaced whole when a snapshot has been
	// loaded; its replica is written only by Run's goroutine.
	current atomic.Pointer[view]
	// ready is closed once the first snapshot is in current.
	ready     chan struct{}
	readyOnce sync.Once
	// advanced wakes WaitForVersion when the version rises or the replica is replaced.
	advanced signal
	running  atomic.Bool
	stats    counters
}

// New returns a client of the SyncService on conn. It does nothing until Run.
//
// The caller owns conn: its address, credentials and keepalive. Its reconnect backoff also
// bounds how soon a restarted server is found again; grpc's default grows to 120s, so a
// grpc.WithConnectParams with a MaxDelay of a few seconds suits a client that must notice
// no more than a short wait.
func New(conn grpc.ClientConnInterface, opts Options) *Client {
	opts.defaults()
	c := &Client{sync: dirsyncv1.NewSyncServiceClient(conn), opts: opts, ready: make(chan struct{})}
	c.current.Store(&view{replica: replica.New()})
	return c
}

// view is one loaded copy: a replica and the server_version its records come from.
type view struct {
	replica       *replica.Replica
	serverVersion uint64 // 0 before the first snapshot
}

// Replica returns the current replica. Before the first snapshot it is empty; after a resync
// a new replica replaces it, so call Replica for each lookup rather than keeping the result.
// The replica must not be written to.
func (c *Client) Replica() *replica.Replica { return c.current.Load().replica }

// Ready reports whether the first snapshot has been loaded. It stays true through
// reconnections and resyncs, during which lookups answer from the last complete replica.
func (c *Client) Ready() bool {
	select {
	case <-c.ready:
		return true
	default:
		return false
	}
}

// WaitReady blocks until the first snapshot has been loaded (nil) or ctx ends (its error).
// It returns nil at once when the client is ready, even if ctx has ended.
func (c *Client) WaitReady(ctx context.Context) error {
	if c.Ready() {
		return nil
	}
	select {
	case <-c.ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Version returns the applied record_version of the current replica: every change at or
// below it that passes the filters is visible to lookups. After a resync from another store
// (a new server_version) it may be lower than before.
func (c *Client) Version() uint64 { return c.Replica().Version() }

// WaitForVersion blocks until Version() >= v, returning nil, or until ctx ends, returning
// its error. It returns nil at once when the version is already reached. Versions compare
// only within one server_version (Metrics.ServerVersion). OnChange calls for the changes up
// to v may still be running when it returns.
func (c *Client) WaitForVersion(ctx context.Context, v uint64) error {
	for {
		woken := c.advanced.wait()
		if c.Version() >= v {
			return nil
		}
		select {
		case <-woken:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// swap makes v the copy lookups read and marks the client ready.
func (c *Client) swap(v *view) {
	c.current.Store(v)
	c.readyOnce.Do(func() { close(c.ready) })
	c.advanced.broadcast()
}

// signal lets goroutines wait for the next broadcast. The zero value is ready.
type signal struct {
	mu sync.Mutex
	ch chan struct{} // nil while nobody waits
}

// wait returns a channel that the next broadcast closes.
func (s *signal) wait() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

// broadcast wakes every waiter.
func (s *signal) broadcast() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch != nil {
		close(s.ch)
		s.ch = nil
	}
}
