// Package store defines the versioned record store every dirsync backend implements, with its
// contract and sentinel errors. It owns the meaning of versions, snapshots, the change log,
// provider cursors and leases; it knows nothing of gRPC or of any identity provider.
//
// Backends live in sub-packages (store/bolt, store/memory, …) and all pass the conformance
// suite in store/storetest.
package store

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"time"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// Sentinel errors. Backends wrap them (errors.Is) and never return driver errors for these
// conditions.
var (
	// ErrNotFound: no live record (or lease, or cursor) with that key.
	ErrNotFound = errors.New("not found")
	// ErrVersionTooOld: the changes after the requested version have been compacted away.
	ErrVersionTooOld = errors.New("record version too old")
	// ErrInvalid: the caller passed a malformed batch (missing type, id or data, a record
	// of another directory, a string that is not UTF-8) or malformed lease arguments.
	ErrInvalid = errors.New("invalid record")
	// ErrLeaseLost: the lease is held by another holder or has expired.
	ErrLeaseLost = errors.New("lease lost")
	// ErrClosed: the store has been closed.
	ErrClosed = errors.New("store closed")
)

// NewServerVersion returns a random nonzero server version for a store created empty.
func NewServerVersion() uint64 {
	for {
		if v := rand.Uint64(); v != 0 {
			return v
		}
	}
}

// Versions is the position of a store. See dirsyncv1.Versions.
type Versions struct {
	// ServerVersion is random, set when the store was created empty, and persisted.
	ServerVersion uint64
	// Latest is the highest committed record version; 0 for an empty store.
	Latest uint64
	// Earliest is the oldest version Changes can resume after: every change above it is
	// retained. It is 0 until compaction removes something.
	Earliest uint64
}

// Proto returns v as its API message.
func (v Versions) Proto() *dirsyncv1.Versions {
	return &dirsyncv1.Versions{
		ServerVersion:         v.ServerVersion,
		LatestRecordVersion:   v.Latest,
		EarliestRecordVersion: v.Earliest,
	}
}

// Record is one stored record or change, with its key and version beside the encoding so that
// readers can filter and forward it without decoding.
type Record struct {
	Version   uint64
	Type      dirsyncv1.RecordType
	Directory string
	ID        string
	Deleted   bool
	// Data is the deterministic protobuf encoding of the dirsyncv1.Record, including its
	// version, modified_at and deleted fields. It must not be modified.
	Data []byte
}

// Filter selects records by type and directory. A nil or empty slice matches everything.
type Filter struct {
	Types       []dirsyncv1.RecordType
	Directories []string
	// DataOnly tells Snapshot that fn reads only Version and Data, so a backend may leave
	// Type, Directory and ID unset instead of materializing them (streaming a snapshot to
	// a subscriber needs only the encoded records). It does not change which records match.
	DataOnly bool
}

// Match reports whether a record of type t in directory dir passes the filter.
func (f Filter) Match(t dirsyncv1.RecordType, dir string) bool {
	return (len(f.Types) == 0 || slices.Contains(f.Types, t)) &&
		(len(f.Directories) == 0 || slices.Contains(f.Directories, dir))
}

// Batch is one atomic write of one directory.
type Batch struct {
	// Directory every record belongs to. It must not contain a NUL byte.
	Directory string
	// Records to write. A record with Deleted set removes the live record of that key and
	// writes a tombstone carrying its last data; deleting a key that has no live record is
	// skipped and consumes no version. Every other record is an upsert and must hold data of
	// its type. Version and ModifiedAt are assigned by the store in the stored data; Apply
	// does not modify the records, which must not change during the call. A key may appear
	// at most once.
	Records []*dirsyncv1.Record
	// Cursor, when SetCursor is true, replaces the directory's provider cursor in the same
	// transaction (nil or empty clears it). A batch with a cursor and no records consumes no
	// version. Apply copies it.
	Cursor    []byte
	SetCursor bool
}

// Store is a versioned store of records. All methods are safe for concurrent use.
//
// Contract:
//   - Apply commits a batch atomically: either every record and the cursor are visible, or
//     none. The written records get contiguous versions Latest+1…Latest+n in batch order.
//   - Commit order equals version order: a reader that sees version v sees every version below
//     v. Versions are never reused, not even after a crash.
//   - ServerVersion is chosen at random when the store is created empty and never changes.
//   - Methods that take a context return its error, without writing, if it is already done.
type Store interface {
	// Versions returns the current position.
	Versions(ctx context.Context) (Versions, error)

	// Apply writes b (see Batch) and returns the versions after the commit. An invalid
	// batch is rejected whole with ErrInvalid (see Batch.Check).
	Apply(ctx context.Context, b Batch) (Versions, error)

	// Snapshot calls fn, in (type, directory, id) order, for every live record matching f as
	// of one consistent version, and returns the Versions of that snapshot. Record.Data is
	// valid only during the call. An error from fn stops the scan and is returned, as is
	// ctx's error once ctx is done. fn must not call the store: a backend may hold a read
	// transaction that a concurrent writer waits for.
	Snapshot(ctx context.Context, f Filter, fn func(Record) error) (Versions, error)

	// Changes returns up to limit changes with versions above after, in version order,
	// tombstones included; limit <= 0 means no limit. It returns ErrVersionTooOld when
	// after < Earliest, and no changes when after >= Latest. Returned data is owned by the
	// caller.
	Changes(ctx context.Context, after uint64, limit int) ([]Record, error)

	// Changed returns a channel that is closed once a version above the current Latest has
	// committed (it may already be closed), or the store is closed. Call it before reading
	// to not miss a wake-up.
	Changed() <-chan struct{}

	// Get returns the live record with that key, or ErrNotFound. Returned data is owned by
	// the caller.
	Get(ctx context.Context, t dirsyncv1.RecordType, directory, id string) (Record, error)

	// Cursor returns (a copy of) the directory's saved provider cursor, or ErrNotFound.
	Cursor(ctx context.Context, directory string) ([]byte, error)

	// Compact removes changes committed before the given time, always keeping the newest
	// change, and raises Earliest to the highest removed version. It removes only a prefix
	// of the log: it stops at the first change committed at or after before. Live records
	// are kept. It returns how many changes it removed.
	Compact(ctx context.Context, before time.Time) (int, error)

	// AcquireLease takes the named lease for holder until now+ttl if it is free, expired, or
	// already held by holder (a renewal). It returns false when another holder has it.
	// Lease methods return ErrInvalid for an empty name or holder or a ttl <= 0 (see
	// CheckLease).
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	// RenewLease sets holder's unexpired lease to end at now+ttl, or returns ErrLeaseLost.
	RenewLease(ctx context.Context, name, holder string, ttl time.Duration) error
	// ReleaseLease frees the lease if holder has it; otherwise it does nothing.
	ReleaseLease(ctx context.Context, name, holder string) error

	// PutStatus saves status, opaque bytes (the syncer stores an encoded DirectoryStatus),
	// as the directory's sync status, replacing any earlier one. It consumes no version and
	// does not wake Changed. The store copies status.
	PutStatus(ctx context.Context, directory string, status []byte) error
	// Statuses returns (copies of) the saved statuses by directory; an empty map when none.
	Statuses(ctx context.Context) (map[string][]byte, error)

	// Close releases the store and closes the Changed channel. Calls after Close, Close
	// included, return ErrClosed.
	Close() error
}
