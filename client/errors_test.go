package client

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestClassify: only the documented ABORTED reasons void the replica; INVALID_ARGUMENT is
// permanent; everything else is retried from the last applied version.
func TestClassify(t *testing.T) {
	aborted := func(domain, reason string) error {
		st, err := status.New(codes.Aborted, "aborted").WithDetails(&errdetails.ErrorInfo{Domain: domain, Reason: reason})
		require.NoError(t, err)
		return fmt.Errorf("Sync: %w", st.Err())
	}
	for _, tc := range []struct {
		name string
		err  error
		want outcome
	}{
		{"server version mismatch", aborted("dirsync", "SERVER_VERSION_MISMATCH"), resync},
		{"record version too old", aborted("dirsync", "RECORD_VERSION_TOO_OLD"), resync},
		{"other reason", aborted("dirsync", "SOMETHING_ELSE"), resume},
		{"other domain", aborted("example.com", "SERVER_VERSION_MISMATCH"), resume},
		{"aborted without details", status.Error(codes.Aborted, "x"), resume},
		{"protocol violation", fmt.Errorf("%w: version 3 after 4", errProtocol), resync},
		{"invalid argument", status.Error(codes.InvalidArgument, "types"), fatal},
		{"unavailable", status.Error(codes.Unavailable, "shutting down"), resume},
		{"internal", status.Error(codes.Internal, "internal error"), resume},
		{"idle", fmt.Errorf("%w: nothing", errIdle), resume},
		{"eof", io.EOF, resume},
		{"plain", errors.New("connection reset"), resume},
	} {
		t.Run(tc.name, func(t *testing.T) { require.Equal(t, tc.want, classify(tc.err)) })
	}
}
