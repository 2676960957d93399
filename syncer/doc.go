// Package syncer runs one sync loop per configured directory: it holds the directory's store
// lease, schedules runs (min delay, backoff with jitter after failures, provider retry
// times, a full reconciliation at least every full-sync interval), calls the provider with
// the saved cursor, computes effective group memberships, diffs the result against the
// stored records, refuses mass deletions unless forced, and writes the changes with the new
// cursor in one atomic batch. It owns each directory's sync status; while it holds a
// directory's lease it saves that status in the store, so that every replica reports it.
//
// It must not talk to identity providers except through providers.Provider, must not write
// a directory without holding that directory's lease, must not write anything in a run that
// fails or is blocked, and must not touch records of other directories or of types it does
// not sync (only users and groups). It knows nothing of gRPC: errors are sentinels the
// server maps at its edge.
//
// A provider's Result belongs to the syncer once Sync returns it: the syncer sets fields
// (directory, sorted group ids, effective group ids) on its users and groups in place.
package syncer
