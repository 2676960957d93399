package providertest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dirsync/dirsync/providers"
	"github.com/stretchr/testify/require"
)

// Progress is a providers.Progress that counts what a Sync reports: requests, rate-limit
// waits, and the users and groups read. It is safe for concurrent use; the zero value is
// ready.
type Progress struct {
	mu                   sync.Mutex
	requests             int
	waits                []time.Duration
	reads, users, groups int
}

// Request counts one request.
func (p *Progress) Request() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests++
}

// RateLimited records one rate-limit wait.
func (p *Progress) RateLimited(wait time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.waits = append(p.waits, wait)
}

// Read counts one report of users and groups read.
func (p *Progress) Read(users, groups int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reads++
	p.users += users
	p.groups += groups
}

// Requests is the number of requests reported.
func (p *Progress) Requests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests
}

// Waits returns the rate-limit waits reported, in order.
func (p *Progress) Waits() []time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.waits)
}

// Reads is the number of Read reports.
func (p *Progress) Reads() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.reads
}

// UsersRead is the sum of the users the Read reports counted.
func (p *Progress) UsersRead() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.users
}

// GroupsRead is the sum of the groups the Read reports counted.
func (p *Progress) GroupsRead() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.groups
}

// SyncCounted runs one Sync of p from cursor with a fresh Progress and returns what it
// reported with the result.
func SyncCounted(p providers.Provider, cursor []byte) (*providers.Result, *Progress, error) {
	pr := &Progress{}
	res, err := p.Sync(providers.WithProgress(context.Background(), pr), cursor)
	return res, pr, err
}

// FullSync runs one Sync of p without a cursor and requires a full result.
func FullSync(t testing.TB, p providers.Provider) *providers.Result {
	t.Helper()
	res, err := p.Sync(context.Background(), nil)
	require.NoError(t, err)
	require.True(t, res.Full, "a sync without a cursor is full")
	return res
}
