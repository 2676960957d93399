// Package server implements the dirsync gRPC services (SyncService, DirectoryQuery,
// DeviceEnrollmentService and its revocation of deleted or suspended users' links), the
// change broadcaster that feeds every Sync stream, the REST gateway and the listeners.
//
// It owns the edge: request validation, the one translation of domain errors into gRPC
// status codes (errors.go), and the wire framing of record batches. It reads and writes data
// only through store.Store and answers queries from a replica.Replica; it must not know any
// storage backend or identity provider.
package server
