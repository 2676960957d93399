package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Exit codes: the contract scripts rely on (see the package doc).
const (
	exitOK          = 0 // success
	exitNegative    = 1 // completed, but the answer is negative: sync failed or blocked, policy does not allow
	exitUsage       = 2 // bad command line or input; INVALID_ARGUMENT
	exitNotFound    = 3 // NOT_FOUND
	exitUnavailable = 4 // UNAVAILABLE, DEADLINE_EXCEEDED: unreachable, shutting down, timed out
	exitError       = 5 // anything else
)

// usageError is a bad command line, or an unusable file named by a flag. An empty msg means
// the flag package has already said what is wrong.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// negativeError is an operation that completed with a negative answer (exit 1).
type negativeError struct{ msg string }

func (e *negativeError) Error() string { return e.msg }

// flagError classifies an error of flag.FlagSet.Parse, which has printed it already.
func flagError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return &usageError{}
}

// exitCode maps a command's error to the process exit code. gRPC errors map by code.
func exitCode(err error) int {
	var ue *usageError
	var ne *negativeError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		return exitUsage
	case errors.As(err, &ne):
		return exitNegative
	case errors.Is(err, context.DeadlineExceeded):
		return exitUnavailable
	}
	switch status.Code(err) {
	case codes.InvalidArgument:
		return exitUsage
	case codes.NotFound:
		return exitNotFound
	case codes.Unavailable, codes.DeadlineExceeded:
		return exitUnavailable
	}
	return exitError
}

// fail prints err (if any) on stderr and returns its exit code. gRPC errors print their
// code and the server's message.
func (e *env) fail(err error) int {
	code := exitCode(err)
	if code == exitOK || err.Error() == "" {
		return code
	}
	msg := err.Error()
	if st, ok := status.FromError(err); ok && st.Code() != codes.OK {
		msg = st.Code().String() + ": " + st.Message()
		switch st.Code() {
		case codes.Unavailable:
			msg += fmt.Sprintf(" (is dirsyncd serving gRPC at %s?)", e.opts.addr)
		case codes.DeadlineExceeded:
			msg += fmt.Sprintf(" (--timeout %s)", e.opts.timeout)
		}
	}
	fmt.Fprintln(e.stderr, "dirsyncctl:", msg)
	return code
}
