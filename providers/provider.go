// Package providers defines how dirsync reads an identity provider: the Provider interface,
// its results and errors, progress reporting, and the registry of provider types with their
// option schemas. One sub-package per provider implements it (providers/blob, …).
//
// A provider only reads: it never writes to the store and knows nothing of versions,
// diffs or schedules (the syncer owns those).
package providers

import (
	"context"
	"errors"
	"fmt"
	"time"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// Provider reads one directory.
type Provider interface {
	// Sync reads the directory. cursor is what the last successful Sync returned (nil on the
	// first run, after ErrCursorExpired, and when the syncer wants a full reconciliation).
	// With a nil cursor the result must be Full.
	Sync(ctx context.Context, cursor []byte) (*Result, error)
}

// Result is what one Sync read.
type Result struct {
	// Full means Users and Groups are the whole directory: anything else is deleted.
	// Otherwise they are upserts and DeletedUsers/DeletedGroups name removed ids.
	Full bool
	// Unchanged means the source has not changed since cursor; nothing else is set but
	// Cursor.
	Unchanged bool

	Users  []*dirsyncv1.User
	Groups []*dirsyncv1.Group
	// Ids of users and groups removed since cursor (deltas only). Unknown ids are ignored.
	DeletedUsers, DeletedGroups []string

	// Cursor is saved with the written records and passed to the next Sync.
	Cursor []byte
}

// ErrCursorExpired tells the syncer to drop the cursor and run a full sync at once.
var ErrCursorExpired = errors.New("provider cursor expired")

// RetryError is a failure that says when to try again (a rate limit's reset time).
type RetryError struct {
	At  time.Time
	Err error
}

func (e *RetryError) Error() string {
	return fmt.Sprintf("%v (retry at %s)", e.Err, e.At.UTC().Format(time.RFC3339))
}

func (e *RetryError) Unwrap() error { return e.Err }

// RetryAt returns the time a failure asks to be retried at, if it says.
func RetryAt(err error) (time.Time, bool) {
	var re *RetryError
	if errors.As(err, &re) {
		return re.At, true
	}
	return time.Time{}, false
}

// Progress receives what a running Sync has done so far; the syncer shows it in the
// directory's status. Implementations are safe for concurrent use.
type Progress interface {
	// Request counts one request to the provider's API (or one object read).
	Request()
	// RateLimited counts one wait imposed by a rate limit.
	RateLimited(wait time.Duration)
	// Read counts users and groups read.
	Read(users, groups int)
}

type progressKey struct{}

// WithProgress returns a context whose Sync calls report to p.
func WithProgress(ctx context.Context, p Progress) context.Context {
	return context.WithValue(ctx, progressKey{}, p)
}

// ProgressFrom returns the Progress of ctx, or one that discards reports.
func ProgressFrom(ctx context.Context) Progress {
	if p, ok := ctx.Value(progressKey{}).(Progress); ok {
		return p
	}
	return discard{}
}

type discard struct{}

func (discard) Request()                  {}
func (discard) RateLimited(time.Duration) {}
func (discard) Read(int, int)             {}
