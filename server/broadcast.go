package server

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/dirsync/dirsync/store"
)

// broadcaster reads each new change from the store once and keeps the newest ones in a
// bounded ring that every subscriber reads with its own cursor. The producer never waits for
// a subscriber: a subscriber whose cursor falls out of the ring reads its backlog from the
// store, so memory is bounded by the ring whatever a subscriber's lag.
//
// Versions are contiguous (store contract), so version v lives at ring[v % len(ring)] and the
// ring holds exactly the versions (start, head].
type broadcaster struct {
	store store.Store
	log   *slog.Logger

	mu    sync.RWMutex
	ring  []store.Record
	start uint64        // versions <= start are not in the ring
	head  uint64        // highest version read from the store
	wake  chan struct{} // closed when head advances
}

func newBroadcaster(s store.Store, log *slog.Logger, size int, head uint64) *broadcaster {
	return &broadcaster{store: s, log: log, ring: make([]store.Record, size), start: head, head: head, wake: make(chan struct{})}
}

// run follows the store until ctx ends.
func (b *broadcaster) run(ctx context.Context) {
	const page = 1000
	retry := time.Duration(0)
	for {
		changed := b.store.Changed()
		b.mu.RLock()
		head := b.head
		b.mu.RUnlock()
		recs, err := b.store.Changes(ctx, head, page)
		switch {
		case ctx.Err() != nil:
			return
		case errors.Is(err, store.ErrVersionTooOld):
			// Compaction passed us (we lagged a whole retention period): skip to the present;
			// subscribers behind it get RECORD_VERSION_TOO_OLD from the store.
			v, verr := b.store.Versions(ctx)
			if verr == nil {
				b.skipTo(v.Latest)
				continue
			}
			err = verr
		}
		if err != nil {
			retry = min(max(retry*2, 50*time.Millisecond), 5*time.Second)
			b.log.Error("broadcaster: reading changes", "after", head, "error", err, "retry_in", retry)
			select {
			case <-time.After(retry):
				continue
			case <-ctx.Done():
				return
			}
		}
		retry = 0
		if len(recs) > 0 {
			b.publish(recs)
			if len(recs) == page {
				continue
			}
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return
		}
	}
}

func (b *broadcaster) publish(recs []store.Record) {
	b.mu.Lock()
	n := uint64(len(b.ring))
	for _, r := range recs {
		if r.Version != b.head+1 {
			// A gap breaks the store contract; never serve around it silently.
			b.log.Error("broadcaster: version gap", "want", b.head+1, "got", r.Version)
			b.start = r.Version - 1
		}
		b.ring[r.Version%n] = r
		b.head = r.Version
		if b.head-b.start > n {
			b.start = b.head - n
		}
	}
	close(b.wake)
	b.wake = make(chan struct{})
	b.mu.Unlock()
}

func (b *broadcaster) skipTo(v uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if v > b.head {
		b.start, b.head = v, v
		close(b.wake)
		b.wake = make(chan struct{})
	}
}

// inRing reports whether the changes after cursor are read from memory (not the store).
func (b *broadcaster) inRing(cursor uint64) bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return cursor >= b.start
}

// read appends to dst the changes after cursor that match f, up to maxFrameRecords records or
// maxFrameBytes bytes, and returns them with the new cursor: every change up to it has been
// returned or filtered out. When nothing is newer than cursor it returns no change, cursor
// unchanged, and a channel that is closed when something is. It reads from the ring, or from
// the store when cursor has fallen out of the ring (ErrVersionTooOld when compacted away).
func (b *broadcaster) read(ctx context.Context, cursor uint64, f store.Filter, dst []store.Record) ([]store.Record, uint64, <-chan struct{}, error) {
	b.mu.RLock()
	if cursor < b.start {
		b.mu.RUnlock()
		recs, err := b.store.Changes(ctx, cursor, maxFrameRecords)
		if err != nil {
			return dst, cursor, nil, err
		}
		for _, r := range recs {
			if f.Match(r.Type, r.Directory) {
				dst = append(dst, r)
			}
			cursor = r.Version
		}
		return dst, cursor, nil, nil
	}
	defer b.mu.RUnlock()
	if cursor >= b.head {
		return dst, cursor, b.wake, nil
	}
	n := uint64(len(b.ring))
	size := 0
	for v := cursor + 1; v <= b.head && len(dst) < maxFrameRecords && size < maxFrameBytes; v++ {
		r := b.ring[v%n]
		if f.Match(r.Type, r.Directory) {
			dst = append(dst, r)
			size += len(r.Data)
		}
		cursor = v
	}
	return dst, cursor, nil, nil
}
