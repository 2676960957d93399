package server

import (
	"context"
	"sync"

	"google.golang.org/grpc/mem"

	"github.com/dirsync/dirsync/store"
)

// frameCache shares batch messages between unfiltered Sync streams: streams at the same
// cursor (after a burst, typically all of them) send the same bytes, so the frame of changes
// (from, to] is assembled once and each stream holds a reference to it while gRPC writes it.
// Filtered streams build their own frames.
type frameCache struct {
	mu      sync.Mutex
	entries [16]cachedFrame // a small ring, oldest replaced first
	next    int
}

type cachedFrame struct {
	from, to uint64
	buf      mem.Buffer // holds one reference while cached
}

// frame returns the message of the changes after cursor (up to the frame limits) and the
// cursor after them, or, when nothing is newer, no message and a channel closed when
// something is (see broadcaster.read). A frame from the ring is built under the lock, so the
// streams woken together by a commit build it once; a stream reading its backlog from the
// store builds its own frame without holding up the others.
func (c *frameCache) frame(ctx context.Context, bc *broadcaster, cursor uint64) (*rawMessage, uint64, <-chan struct{}, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.entries {
		if e.buf != nil && e.from == cursor {
			e.buf.Ref()
			return &rawMessage{buf: e.buf}, e.to, nil, nil
		}
	}
	if !bc.inRing(cursor) {
		c.mu.Unlock()
		defer c.mu.Lock()
		recs, next, wake, err := bc.read(ctx, cursor, store.Filter{}, nil)
		if err != nil || len(recs) == 0 {
			return nil, next, wake, err
		}
		return frameOf(recs), next, nil, nil
	}
	recs, next, wake, err := bc.read(ctx, cursor, store.Filter{}, nil)
	if err != nil || len(recs) == 0 {
		return nil, next, wake, err
	}
	msg := frameOf(recs)
	msg.buf.Ref() // the cache's reference; the caller's is the one gRPC frees
	e := &c.entries[c.next]
	c.next = (c.next + 1) % len(c.entries)
	if e.buf != nil {
		e.buf.Free()
	}
	*e = cachedFrame{from: cursor, to: next, buf: msg.buf}
	return msg, next, nil, nil
}

// frameOf returns the batch message of recs.
func frameOf(recs []store.Record) *rawMessage {
	var fr frame
	for _, r := range recs {
		fr.add(r.Data)
	}
	return fr.take()
}

// close drops the cached frames.
func (c *frameCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.entries {
		if c.entries[i].buf != nil {
			c.entries[i].buf.Free()
		}
		c.entries[i] = cachedFrame{}
	}
}
