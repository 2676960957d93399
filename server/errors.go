package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"

	"github.com/dirsync/dirsync/store"
	"github.com/dirsync/dirsync/syncer"
)

// ErrorDomain is the ErrorInfo domain of dirsync's documented error reasons.
const ErrorDomain = "dirsync"

// Documented ErrorInfo reasons of ABORTED Sync streams.
const (
	ReasonServerVersionMismatch = "SERVER_VERSION_MISMATCH"
	ReasonRecordVersionTooOld   = "RECORD_VERSION_TOO_OLD"
)

// errServerVersionMismatch: the client's records come from another copy of the data.
var errServerVersionMismatch = errors.New("server version mismatch")

// errNoDirectory: the request names a directory this server does not have.
var errNoDirectory = fmt.Errorf("no such directory: %w", store.ErrNotFound)

// errNoSyncer: the server runs without a syncer.
var errNoSyncer = errors.New("this server runs no syncer")

// fieldError is bad input in one request field.
type fieldError struct {
	field, reason string
}

func (e *fieldError) Error() string { return e.field + ": " + e.reason }

// invalidField returns an INVALID_ARGUMENT error naming field.
func invalidField(field, format string, args ...any) error {
	return &fieldError{field: field, reason: fmt.Sprintf(format, args...)}
}

// toStatus is the one translation of errors into gRPC status errors. Errors that already are
// statuses pass through; unknown errors become INTERNAL without their text (it may hold
// driver details) and are logged.
func toStatus(log *slog.Logger, method string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	var fe *fieldError
	var re *reasonError
	switch {
	case errors.As(err, &re):
		return withDetails(status.New(re.code, re.msg), &errdetails.ErrorInfo{Domain: ErrorDomain, Reason: re.reason})
	case errors.As(err, &fe):
		st := status.New(codes.InvalidArgument, fe.Error())
		return withDetails(st, &errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{
			{Field: fe.field, Description: fe.reason},
		}})
	case errors.Is(err, store.ErrNotFound):
		return status.Error(codes.NotFound, err.Error())
	case errors.Is(err, store.ErrVersionTooOld):
		return aborted(ReasonRecordVersionTooOld, err)
	case errors.Is(err, errServerVersionMismatch):
		return aborted(ReasonServerVersionMismatch, err)
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "canceled")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "deadline exceeded")
	case errors.Is(err, syncer.ErrNotLeader), errors.Is(err, syncer.ErrConfigured), errors.Is(err, errNoSyncer):
		return status.Error(codes.FailedPrecondition, err.Error())
	case errors.Is(err, store.ErrClosed):
		return status.Error(codes.Unavailable, "server is shutting down")
	}
	log.Error("internal error", "method", method, "error", err)
	return status.Error(codes.Internal, "internal error")
}

func aborted(reason string, err error) error {
	st := status.New(codes.Aborted, err.Error())
	return withDetails(st, &errdetails.ErrorInfo{Domain: ErrorDomain, Reason: reason})
}

func withDetails(st *status.Status, detail protoadapt.MessageV1) error {
	if d, err := st.WithDetails(detail); err == nil {
		return d.Err()
	}
	return st.Err()
}

// unaryErrors and streamErrors apply toStatus to every handler's error.
func unaryErrors(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		resp, err := h(ctx, req)
		return resp, toStatus(log, info.FullMethod, err)
	}
}

func streamErrors(log *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		return toStatus(log, info.FullMethod, h(srv, ss))
	}
}
