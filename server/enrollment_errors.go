package server

import (
	"google.golang.org/grpc/codes"
)

// Documented ErrorInfo reasons of DeviceEnrollmentService errors (see docs/enrollment.md).
const (
	ReasonEnrollmentNotConfigured  = "ENROLLMENT_NOT_CONFIGURED"
	ReasonUserSuspended            = "USER_SUSPENDED"
	ReasonEnrollmentTokenInvalid   = "ENROLLMENT_TOKEN_INVALID"
	ReasonEnrollmentExpired        = "ENROLLMENT_EXPIRED"
	ReasonEnrollmentUserMismatch   = "ENROLLMENT_USER_MISMATCH"
	ReasonEnrollmentTypeMismatch   = "ENROLLMENT_TYPE_MISMATCH"
	ReasonEnrollmentRedeemed       = "ENROLLMENT_ALREADY_REDEEMED"
	ReasonEnrollmentRevoked        = "ENROLLMENT_REVOKED"
	ReasonEnrollmentConcurrentEdit = "ENROLLMENT_BUSY"
)

// reasonError is an error with a fixed gRPC code and a documented ErrorInfo reason; toStatus
// translates it.
type reasonError struct {
	code   codes.Code
	reason string
	msg    string
}

func (e *reasonError) Error() string { return e.msg }

// Enrollment sentinels. Compare with errors.Is.
var (
	errEnrollmentNotConfigured = &reasonError{codes.FailedPrecondition, ReasonEnrollmentNotConfigured, "enrollment is not configured"}
	errUserSuspended           = &reasonError{codes.FailedPrecondition, ReasonUserSuspended, "the user is suspended"}
	errTokenInvalid            = &reasonError{codes.InvalidArgument, ReasonEnrollmentTokenInvalid, "the enrollment token is malformed or its signature is wrong"}
	errEnrollmentExpired       = &reasonError{codes.FailedPrecondition, ReasonEnrollmentExpired, "the enrollment link has expired"}
	errUserMismatch            = &reasonError{codes.PermissionDenied, ReasonEnrollmentUserMismatch, "the enrollment link is for another user"}
	errTypeMismatch            = &reasonError{codes.FailedPrecondition, ReasonEnrollmentTypeMismatch, "the enrollment link is for another device type"}
	errAlreadyRedeemed         = &reasonError{codes.FailedPrecondition, ReasonEnrollmentRedeemed, "the enrollment link has already been redeemed"}
	errRevoked                 = &reasonError{codes.NotFound, ReasonEnrollmentRevoked, "the enrollment has been revoked"}
	errEnrollmentBusy          = &reasonError{codes.Aborted, ReasonEnrollmentConcurrentEdit, "the enrollment is being changed by another request; retry"}
)
