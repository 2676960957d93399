// Package bolt is the embedded default store.Store: one bbolt file holding the live records,
// the change log, provider cursors and leases (layout in layout.go). One process opens the
// file at a time; several dirsyncd replicas need store/postgres instead.
//
// Reads are bolt read transactions, so a Snapshot is consistent at the version it returns;
// writes are bolt read-write transactions, whose single writer makes commit order equal
// version order.
package bolt

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	bbolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/dirsync/dirsync/store"
)

// Store is a store.Store in one bolt file. Create it with Open.
type Store struct {
	db     *bbolt.DB
	closed atomic.Bool

	// wmu serializes the write transactions that move versions, so that their results are
	// published in commit order.
	wmu sync.Mutex

	mu       sync.Mutex // guards the fields below
	versions store.Versions
	changed  chan struct{}
}

var _ store.Store = (*Store)(nil)

// Option configures Open.
type Option func(*options)

type options struct {
	lockTimeout time.Duration
}

// WithLockTimeout sets how long Open waits for another process to release the file (default
// 10s); 0 waits forever.
func WithLockTimeout(d time.Duration) Option {
	return func(o *options) { o.lockTimeout = d }
}

// initialMmapSize is the address space mapped at Open. A bolt writer that outgrows the map
// must wait for every read transaction to end, and a Snapshot streamed to a slow client can
// last long, so the map starts large: it is address space, not memory or file size.
const initialMmapSize = min(1<<30, math.MaxInt/4)

// pageSize is the page size of new files. Bolt writes a transaction's pages one system call
// each, so larger pages than the usual 4 KiB make large batches much faster, while a small
// change still costs a few pages.
const pageSize = 16 << 10

// recordsFill is how full bolt packs the pages of the records bucket when it splits them.
// Keys mostly arrive in order (a directory's records, sorted by id), so pages are packed
// fuller than bolt's default 50%.
const recordsFill = 0.9

// boltOptions returns the options of every bolt file this package opens.
func boltOptions(lockTimeout time.Duration) *bbolt.Options {
	return &bbolt.Options{
		Timeout:         lockTimeout,
		InitialMmapSize: initialMmapSize,
		PageSize:        pageSize,
		// The free list is rebuilt at Open instead of being written by every commit.
		NoFreelistSync: true,
		FreelistType:   bbolt.FreelistMapType,
	}
}

// Open opens the store in the file at path, creating the file and its parent directories
// when absent. A new file gets a random server version.
func Open(path string, opts ...Option) (*Store, error) {
	o := options{lockTimeout: 10 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("bolt: %w", err)
	}
	db, err := bbolt.Open(path, 0o600, boltOptions(o.lockTimeout))
	if err != nil {
		return nil, fmt.Errorf("bolt: open %s: %w", path, err)
	}
	var v store.Versions
	if err := db.Update(func(tx *bbolt.Tx) (err error) {
		v, err = initialize(tx)
		return err
	}); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("bolt: open %s: %w", path, err)
	}
	return &Store{db: db, versions: v, changed: make(chan struct{})}, nil
}

// initialize creates the buckets of a new file, or checks the format of an existing one.
func initialize(tx *bbolt.Tx) (store.Versions, error) {
	if m := tx.Bucket(bucketMeta); m != nil {
		if f := getU64(m, keyFormat); f != format {
			return store.Versions{}, fmt.Errorf("file has layout format %d, want %d", f, format)
		}
		// A file written before statuses were stored lacks their bucket; adding it keeps
		// the format, since older code ignores the bucket.
		if _, err := tx.CreateBucketIfNotExists(bucketStatuses); err != nil {
			return store.Versions{}, err
		}
		return readVersions(tx), nil
	}
	for _, name := range [][]byte{bucketMeta, bucketRecords, bucketChanges, bucketCursors, bucketLeases, bucketStatuses} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return store.Versions{}, err
		}
	}
	m := tx.Bucket(bucketMeta)
	for k, n := range map[string]uint64{string(keyFormat): format, string(keyServer): store.NewServerVersion(), string(keyLatest): 0, string(keyEarliest): 0} {
		if err := putU64(m, []byte(k), n); err != nil {
			return store.Versions{}, err
		}
	}
	return readVersions(tx), nil
}

// ready returns why a call must not start.
func (s *Store) ready(ctx context.Context) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	return ctx.Err()
}

// fail maps bolt's errors to the store's.
func fail(err error) error {
	switch {
	case errors.Is(err, berrors.ErrDatabaseNotOpen):
		return store.ErrClosed
	case errors.Is(err, berrors.ErrKeyTooLarge):
		return fmt.Errorf("%w: %v", store.ErrInvalid, err)
	}
	return err
}

// view runs fn in a read transaction.
func (s *Store) view(ctx context.Context, fn func(*bbolt.Tx) error) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	return fail(s.db.View(fn))
}

// update runs fn in a read-write transaction and publishes the versions it returns.
func (s *Store) update(ctx context.Context, fn func(*bbolt.Tx) (store.Versions, error)) (store.Versions, error) {
	if err := s.ready(ctx); err != nil {
		return store.Versions{}, err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	var v store.Versions
	if err := s.db.Update(func(tx *bbolt.Tx) (err error) {
		v, err = fn(tx)
		return err
	}); err != nil {
		return store.Versions{}, fail(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if v.Latest > s.versions.Latest && !s.closed.Load() {
		close(s.changed)
		s.changed = make(chan struct{})
	}
	s.versions = v
	return v, nil
}

// Versions implements store.Store.
func (s *Store) Versions(ctx context.Context) (store.Versions, error) {
	if err := s.ready(ctx); err != nil {
		return store.Versions{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.versions, nil
}

// Changed implements store.Store.
func (s *Store) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// Close implements store.Store. It waits for running transactions to end.
func (s *Store) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return store.ErrClosed
	}
	err := s.db.Close()
	s.mu.Lock()
	close(s.changed)
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("bolt: close: %w", err)
	}
	return nil
}
