// Package client is the Go SDK an authorization engine embeds to keep a local, current copy
// of a dirsync server's users and groups and to answer lookups ("is this user in that group")
// in microseconds, without a network call.
//
// It owns the subscriber side of the SyncService protocol: load a consistent snapshot with
// SyncLatest, follow every later change with Sync from the snapshot's version, advance past
// filtered-out changes on checkpoints, reconnect with exponential backoff and resume from
// the last applied version, and, when the server answers ABORTED with one of the documented
// ErrorInfo reasons (SERVER_VERSION_MISMATCH, RECORD_VERSION_TOO_OLD), drop its copy and
// load a new snapshot. Lookups keep answering from the previous copy until the new one is
// complete: a snapshot is loaded into a fresh replica.Replica and then swapped in whole, so
// a reader never sees a half-loaded copy.
//
// The records live in the replica package's index, shared with the server; this package
// must not index records itself, must not dial (the caller owns the grpc connection, its
// credentials and its keepalive settings), and must not write to the server.
//
// Files: client.go (the type, readiness, versions), options.go, change.go (the callback
// contract), run.go (the reconnect loop), errors.go (what an error means for the loop),
// receive.go (the read-ahead goroutine of a stream), snapshot.go (SyncLatest), follow.go
// (Sync), lookup.go, metrics.go.
package client
