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
	scratch []store.Record
}

type cachedFrame struct {
	from, to uint64
	buf      mem.Buffer // holds one reference while cached
}

// frame returns the message of the changes after cursor (up to the frame limits) and the
// cursor after them, or, when nothing is newer, no message and a channel closed when
// something is (see broadcaster.read).
func (c *frameCache) frame(ctx context.Context, bc *broadcaster, cursor uint64) (*rawMessage, uint64, <-chan struct{}, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.entries {
		if e.buf != nil && e.from == cursor {
			e.buf.Ref()
			return &rawMessage{buf: e.buf}, e.to, nil, nil
		}
	}
	recs, next, wake, err := bc.read(ctx, cursor, store.Filter{}, c.scratch[:0])
	c.scratch = recs[:0]
	if err != nil || len(recs) == 0 {
		clear(recs)
		return nil, next, wake, err
	}
	var fr frame
	for _, r := range recs {
		fr.add(r.Data)
	}
	clear(recs)
	msg := fr.take()
	e := &c.entries[c.next]
	c.next = (c.next + 1) % len(c.entries)
	if e.buf != nil {
		e.buf.Free()
	}
	msg.buf.Ref() // the cache's reference; the caller's is the one gRPC frees
	*e = cachedFrame{from: cursor, to: next, buf: msg.buf}
	return msg, next, nil, nil
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
