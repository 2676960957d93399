package providers

import (
	"context"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// StoredUsers reads the users the store holds for the directory being synced. They are
// the users written with the cursor passed to Sync (the syncer writes records and cursor
// in one batch, and only the lease holder writes them), so a provider that keeps state in
// memory between runs can rebuild it from them after a restart or a fail-over instead of
// reading the whole directory again. Each call reads the store anew; the users are the
// caller's.
type StoredUsers func(ctx context.Context) ([]*dirsyncv1.User, error)

type storedUsersKey struct{}

// WithStoredUsers returns a context whose Sync calls can read the stored users with fn.
func WithStoredUsers(ctx context.Context, fn StoredUsers) context.Context {
	return context.WithValue(ctx, storedUsersKey{}, fn)
}

// StoredUsersFrom returns the stored-users reader of ctx, or nil (a Sync outside the
// syncer).
func StoredUsersFrom(ctx context.Context) StoredUsers {
	fn, _ := ctx.Value(storedUsersKey{}).(StoredUsers)
	return fn
}
