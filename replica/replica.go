package replica

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
)

// Replica is the in-memory index of the records of any number of directories, at one applied
// version. It is safe for concurrent use: Apply and Reset take an exclusive lock, every read
// a shared one, so a read sees whole batches only. Returned messages are shared with the
// replica and with other readers and must not be modified.
type Replica struct {
	mu   sync.RWMutex
	dirs map[string]*directory // by directory name; guarded by mu
	// version is the applied version: written under mu, read atomically by Version.
	version atomic.Uint64
	// changed is closed, and replaced, whenever version rises; guarded by mu.
	changed chan struct{}
}

// New returns an empty replica at version 0.
func New() *Replica {
	return &Replica{dirs: map[string]*directory{}, changed: make(chan struct{})}
}

// Reset drops every record and sets the applied version to 0 (used on resync). Waiters of
// WaitForVersion keep waiting for their version.
func (r *Replica) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dirs = map[string]*directory{}
	r.version.Store(0)
}

// Version returns the applied version: every change at or below it has been applied.
func (r *Replica) Version() uint64 {
	return r.version.Load()
}

// WaitForVersion blocks until Version() >= v, returning nil, or until ctx ends, returning
// ctx.Err(). It returns nil at once when the version is already reached, even if ctx has ended.
func (r *Replica) WaitForVersion(ctx context.Context, v uint64) error {
	for {
		r.mu.RLock()
		reached, changed := r.version.Load() >= v, r.changed
		r.mu.RUnlock()
		if reached {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Counts returns how many users and groups the directory holds.
func (r *Replica) Counts(directory string) (users, groups int) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if d := r.dirs[directory]; d != nil {
		return d.userCount, len(d.groups)
	}
	return 0, 0
}

// Directories returns the names of the directories holding at least one record, sorted.
func (r *Replica) Directories() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.dirs))
	for name, d := range r.dirs {
		if d.userCount+len(d.groups) > 0 {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}
