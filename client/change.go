package client

import dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"

// Change is one change the client applied, as passed to Options.OnChange.
//
// The contract:
//   - Changes from Sync come in version order, exactly once per version the client applies:
//     reconnecting resumes after the last applied version, so nothing is repeated or
//     skipped. Changes excluded by the filters are not seen; a checkpoint produces no call.
//   - A snapshot load (the first one, and every resync after the server aborted the stream)
//     produces first Change{Reset: true, Version: V}, meaning "drop everything derived from
//     earlier changes", then one Change{Snapshot: true, Version: V, Record: r} per live record
//     of the snapshot, in the server's (type, directory, id) order. The changes that follow
//     have versions above V. After a resync V may be lower than versions seen before it
//     (another store): versions only compare between two Resets.
//   - Callbacks run on the client's goroutine, after the change's batch (or the whole
//     snapshot) is visible through the Client's lookups, so a lookup from the callback sees
//     the change. While a callback runs the client applies nothing: callbacks must be quick
//     and must not wait for the client (WaitForVersion from a callback would deadlock).
//   - Record is shared with the replica and must not be modified.
type Change struct {
	// Version is the record_version of the change; for a Reset and for snapshot records it is
	// the snapshot's version (Record.Version keeps the version the record was last written at).
	Version uint64
	// Record is the record as committed; Record.Deleted marks a deletion (a tombstone
	// carrying the record's last data). It is nil for a Reset.
	Record *dirsyncv1.Record
	// Reset starts a snapshot: everything known before it is void.
	Reset bool
	// Snapshot marks the records of a snapshot, which follow its Reset.
	Snapshot bool
}
