// Package memory is an in-memory store.Store for tests and ephemeral servers. It holds live
// records in a map and the change log in a slice, all behind one RWMutex; nothing survives
// Close. It must not be used where data has to outlive the process.
package memory

import (
	"bytes"
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store"
)

// Store is an in-memory store.Store. The zero value is not usable; call New.
type Store struct {
	mu       sync.RWMutex
	closed   bool
	versions store.Versions
	// records holds the live records by key; their Data is never modified once stored.
	records map[key]store.Record
	// log holds the retained changes in version order: log[i].Version == log[0].Version+i.
	log     []change
	cursors map[string][]byte
	leases  map[string]lease
	// statuses holds the syncer's opaque statuses by directory.
	statuses map[string][]byte
	changed  chan struct{}
}

type key struct {
	t       dirsyncv1.RecordType
	dir, id string
}

type change struct {
	store.Record
	at time.Time
}

type lease struct {
	holder  string
	expires time.Time
}

var _ store.Store = (*Store)(nil)

// New returns an empty store with a random server version.
func New() *Store {
	return &Store{
		versions: store.Versions{ServerVersion: store.NewServerVersion()},
		records:  make(map[key]store.Record),
		cursors:  make(map[string][]byte),
		leases:   make(map[string]lease),
		changed:  make(chan struct{}),
	}
}

// ready reports why a call must not proceed. The caller holds mu.
func (s *Store) ready(ctx context.Context) error {
	if s.closed {
		return store.ErrClosed
	}
	return ctx.Err()
}

// Versions implements store.Store.
func (s *Store) Versions(ctx context.Context) (store.Versions, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.ready(ctx); err != nil {
		return store.Versions{}, err
	}
	return s.versions, nil
}

// Changed implements store.Store.
func (s *Store) Changed() <-chan struct{} {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.changed
}

// Apply implements store.Store. It stamps every change before touching any state, so a
// failure leaves the store as it was.
func (s *Store) Apply(ctx context.Context, b store.Batch) (store.Versions, error) {
	if err := b.Check(); err != nil {
		return store.Versions{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(ctx); err != nil {
		return store.Versions{}, err
	}
	now := time.Now()
	stamper := store.NewStamper(now)
	next := s.versions.Latest
	pending := make([]change, 0, len(b.Records))
	for _, r := range b.Records {
		rec := store.Record{Version: next + 1, Type: r.Type, Directory: r.Directory, ID: r.Id, Deleted: r.Deleted}
		if r.Deleted {
			prev, ok := s.records[key{r.Type, b.Directory, r.Id}]
			if !ok {
				continue
			}
			tomb, err := store.Tombstone(prev.Data, rec.Version, now)
			if err != nil {
				return store.Versions{}, err
			}
			rec.Data = tomb.Data
		} else {
			p, err := store.Prepare(r, nil)
			if err != nil {
				return store.Versions{}, err
			}
			rec.Data = stamper.Append(nil, p, rec.Version)
		}
		next++
		pending = append(pending, change{rec, now})
	}
	for _, c := range pending {
		k := key{c.Type, c.Directory, c.ID}
		if c.Deleted {
			delete(s.records, k)
		} else {
			s.records[k] = c.Record
		}
	}
	s.log = append(s.log, pending...)
	if b.SetCursor {
		if len(b.Cursor) == 0 {
			delete(s.cursors, b.Directory)
		} else {
			s.cursors[b.Directory] = bytes.Clone(b.Cursor)
		}
	}
	if next != s.versions.Latest {
		s.versions.Latest = next
		close(s.changed)
		s.changed = make(chan struct{})
	}
	return s.versions, nil
}

// Snapshot implements store.Store. It copies the matching entries under the read lock, so
// fn runs without holding it.
func (s *Store) Snapshot(ctx context.Context, f store.Filter, fn func(store.Record) error) (store.Versions, error) {
	s.mu.RLock()
	if err := s.ready(ctx); err != nil {
		s.mu.RUnlock()
		return store.Versions{}, err
	}
	v := s.versions
	var recs []store.Record
	for k, r := range s.records {
		if f.Match(k.t, k.dir) {
			recs = append(recs, r)
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(recs, func(a, b store.Record) int {
		return cmp.Or(cmp.Compare(a.Type, b.Type), cmp.Compare(a.Directory, b.Directory), cmp.Compare(a.ID, b.ID))
	})
	for i, r := range recs {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return store.Versions{}, err
			}
		}
		if err := fn(r); err != nil {
			return store.Versions{}, err
		}
	}
	return v, nil
}

// Changes implements store.Store.
func (s *Store) Changes(ctx context.Context, after uint64, limit int) ([]store.Record, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	if after < s.versions.Earliest {
		return nil, store.ErrVersionTooOld
	}
	if after >= s.versions.Latest {
		return nil, nil
	}
	tail := s.log[after+1-s.log[0].Version:]
	if limit > 0 && len(tail) > limit {
		tail = tail[:limit]
	}
	out := make([]store.Record, len(tail))
	for i, c := range tail {
		out[i] = c.Record
		out[i].Data = bytes.Clone(c.Data)
	}
	return out, nil
}

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, t dirsyncv1.RecordType, directory, id string) (store.Record, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.ready(ctx); err != nil {
		return store.Record{}, err
	}
	r, ok := s.records[key{t, directory, id}]
	if !ok {
		return store.Record{}, store.ErrNotFound
	}
	r.Data = bytes.Clone(r.Data)
	return r, nil
}

// Cursor implements store.Store.
func (s *Store) Cursor(ctx context.Context, directory string) ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	c, ok := s.cursors[directory]
	if !ok {
		return nil, store.ErrNotFound
	}
	return bytes.Clone(c), nil
}

// Compact implements store.Store.
func (s *Store) Compact(ctx context.Context, before time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(ctx); err != nil {
		return 0, err
	}
	n := 0
	for n < len(s.log)-1 && s.log[n].at.Before(before) {
		n++
	}
	if n > 0 {
		s.versions.Earliest = s.log[n-1].Version
		s.log = slices.Clone(s.log[n:])
	}
	return n, nil
}

// Close implements store.Store.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return store.ErrClosed
	}
	s.closed = true
	close(s.changed)
	s.records, s.log, s.cursors, s.leases = nil, nil, nil, nil
	return nil
}
