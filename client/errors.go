package client

import (
	"errors"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The API's documented ErrorInfo of an ABORTED Sync (see proto/dirsync/v1/sync.proto). They
// are repeated here so that the SDK does not depend on the server package.
const (
	errorDomain                 = "dirsync"
	reasonServerVersionMismatch = "SERVER_VERSION_MISMATCH"
	reasonRecordVersionTooOld   = "RECORD_VERSION_TOO_OLD"
)

// errProtocol: the server sent something the protocol rules out (a version that does not
// rise, a tombstone in a snapshot). The client cannot trust its copy any more.
var errProtocol = errors.New("protocol violation")

// outcome is what the reconnect loop does after a stream ended with an error.
type outcome int

const (
	// resume: wait (backoff), reconnect and Sync from the last applied version.
	resume outcome = iota
	// resync: drop the copy and load a new snapshot.
	resync
	// fatal: Run returns the error; retrying cannot help.
	fatal
)

// classify decides what an error ending a stream means. Everything that is not known to be
// permanent or a documented reason to resync is retried: UNAVAILABLE (server restarting,
// connection lost), timeouts, and errors the client does not know.
func classify(err error) outcome {
	if errors.Is(err, errProtocol) {
		return resync
	}
	st, ok := status.FromError(err)
	if !ok {
		return resume
	}
	switch st.Code() {
	case codes.Aborted:
		if reason := reasonOf(st); reason == reasonServerVersionMismatch || reason == reasonRecordVersionTooOld {
			return resync
		}
	case codes.InvalidArgument:
		return fatal
	}
	return resume
}

// reasonOf returns the reason of st's dirsync ErrorInfo, or "".
func reasonOf(st *status.Status) string {
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok && info.GetDomain() == errorDomain {
			return info.GetReason()
		}
	}
	return ""
}
