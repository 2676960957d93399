// Package postgres is the store.Store on PostgreSQL (jackc/pgx/v5), for several dirsyncd
// replicas sharing one database. It owns the dirsync schema in that database (tables in the
// schema "dirsync", created by the embedded migrations in migrations/), the allocation of
// record versions (apply.go), the change notifications between replicas (notify.go) and the
// mapping of driver errors to the store's sentinel errors (errors.go).
//
// It must not hand out driver errors for the conditions that have a sentinel, hold the
// version lock while it waits for its caller, or rely on any replica's clock where replicas
// must agree (lease expiry and commit times use the database's clock). It knows nothing of
// gRPC, providers or the syncer.
package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dirsync/dirsync/store"
)

// Store is a store.Store in a PostgreSQL database. Create it with Open. Any number of
// Stores, in any number of processes, may share one database.
type Store struct {
	pool   *pgxpool.Pool
	opts   options
	closed atomic.Bool

	// writing holds the token of the one Apply of this process that is writing, so that the
	// others queue here rather than each holding a connection while they wait for the
	// database's version lock.
	writing chan struct{}

	mu      sync.Mutex // guards the fields below
	latest  uint64     // the highest version this Store knows to have committed
	changed chan struct{}
	done    bool // Close has closed changed for good

	stopWatch context.CancelFunc
	watching  sync.WaitGroup
}

var _ store.Store = (*Store)(nil)

// Option configures Open.
type Option func(*options)

type options struct {
	poll      time.Duration
	resolve   time.Duration
	log       *slog.Logger
	configure func(*pgxpool.Config)
	listen    bool // tests turn LISTEN off to exercise the poll alone
}

// WithPollInterval sets how often the store reads the latest version when no notification
// has arrived (default 1s). It bounds how late Changed can be when a notification is lost.
func WithPollInterval(d time.Duration) Option {
	return func(o *options) { o.poll = d }
}

// WithResolveTimeout sets how long Apply tries to learn the outcome of a commit whose
// connection failed (default 30s). See Apply and ErrCommitUnknown.
func WithResolveTimeout(d time.Duration) Option {
	return func(o *options) { o.resolve = d }
}

// WithLogger sets where the store logs what it recovers from by itself (a lost listening
// connection, a resolved commit). The default discards.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.log = l }
}

// WithPoolConfig lets fn adjust the pool configuration parsed from the DSN before the pool
// connects: sizes, TLS, a dialer. The listening connection uses the same ConnConfig.
func WithPoolConfig(fn func(*pgxpool.Config)) Option {
	return func(o *options) { o.configure = fn }
}

// Open connects to the database at dsn (a PostgreSQL URL or keyword/value string, with pgxpool's
// pool_* parameters), applies the pending migrations (see Migrate) and, when the database has
// no store yet, gives it a random server version. It starts the listener behind Changed.
// The database should use the UTF8 encoding. Unless the DSN sets them, the store's sessions
// get application_name dirsyncd, jit off and idle_in_transaction_session_timeout 60s.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	o := options{listen: true}
	for _, opt := range opts {
		opt(&o)
	}
	if o.poll <= 0 {
		o.poll = time.Second
	}
	if o.resolve <= 0 {
		o.resolve = 30 * time.Second
	}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	pool, err := newPool(ctx, dsn, o.configure)
	if err != nil {
		return nil, err
	}
	latest, err := initialize(ctx, pool)
	if err != nil {
		pool.Close()
		return nil, err
	}
	s := &Store{pool: pool, opts: o, writing: make(chan struct{}, 1), latest: latest, changed: make(chan struct{})}
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.stopWatch = cancel
	s.watching.Go(func() { s.watch(wctx) })
	return s, nil
}

// idleInTransactionTimeout ends a session of this store that sits idle inside a transaction,
// such as one whose client vanished while it held the version lock, so that other writers do
// not wait for it forever. The store's own transactions are never idle for long.
const idleInTransactionTimeout = "60s"

// newPool parses dsn and returns a pool that has not connected yet.
func newPool(ctx context.Context, dsn string, configure func(*pgxpool.Config)) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse dsn: %v", err) // %v: the error holds the DSN unredacted
	}
	params := cfg.ConnConfig.RuntimeParams
	if params["application_name"] == "" {
		params["application_name"] = "dirsyncd"
	}
	if params["idle_in_transaction_session_timeout"] == "" {
		params["idle_in_transaction_session_timeout"] = idleInTransactionTimeout
	}
	if params["jit"] == "" {
		// The store's queries are key lookups and index scans, which JIT compilation only
		// delays (by tens of milliseconds before a large Snapshot's first record).
		params["jit"] = "off"
	}
	if configure != nil {
		configure(cfg)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return pool, nil
}

// ready returns why a call must not start.
func (s *Store) ready(ctx context.Context) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	return ctx.Err()
}

// advance records that version latest has committed and wakes the waiters on Changed if it
// is news to this Store.
func (s *Store) advance(latest uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if latest <= s.latest || s.done {
		return
	}
	s.latest = latest
	close(s.changed)
	s.changed = make(chan struct{})
}

// Changed implements store.Store. The channel is closed when this Store commits, when a
// notification of another Store's commit arrives, or at the latest one poll interval after
// any commit (see notify.go).
func (s *Store) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// Close implements store.Store. It stops the listener and waits for the calls in progress to
// return their connections.
func (s *Store) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return store.ErrClosed
	}
	s.stopWatch()
	s.watching.Wait()
	s.pool.Close()
	s.mu.Lock()
	s.done = true
	close(s.changed)
	s.mu.Unlock()
	return nil
}

// i64 and u64 convert between the store's unsigned versions and PostgreSQL's bigint, which
// holds a server version as its two's-complement bits and every record version as is.
func i64(v uint64) int64 { return int64(v) }
func u64(v int64) uint64 { return uint64(v) }

// notifyPayload is the payload of a change notification: the new latest version.
func notifyPayload(latest uint64) string { return strconv.FormatUint(latest, 10) }
