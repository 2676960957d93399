// Package pomerium is the pomerium_databroker sink: it feeds a Pomerium databroker with the
// directory users and groups Pomerium's `groups`, `email` and `domain` policy criteria read
// (record types pomerium.io/DirectoryUser and pomerium.io/DirectoryGroup), and keeps them
// exact.
//
// A Sink follows the store's change log from a checkpoint it saves in the store, converts
// the changes of its directories and sends them in batched Puts, each under 1 MiB
// (at-least-once: a Put is idempotent, so a change pushed twice is harmless). On start,
// every reconcile interval, after a failure, and when the databroker's server_version
// changes it reads the databroker's records with SyncLatest, compares them with the store's
// and repairs the difference. With several dirsyncd replicas only the holder of the sink's
// store lease runs it.
//
// It owns the conversion to Pomerium's record shapes, the databroker's authentication (an
// HS256 JWT in the `jwt` metadata key) and its checkpoint; it must not write records to the
// store nor assume it is the only reader of the change log.
package pomerium
