package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/dirsync/dirsync/enrollment"
	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store"
)

// RedeemEnrollment checks, in this order: the token's signature (ENROLLMENT_TOKEN_INVALID),
// its expiry (ENROLLMENT_EXPIRED), that its enrollment is live and its user still exists
// unsuspended (ENROLLMENT_REVOKED), the user (ENROLLMENT_USER_MISMATCH), the device type
// when the request names one (ENROLLMENT_TYPE_MISMATCH) and that it is still pending
// (ENROLLMENT_ALREADY_REDEEMED); then it writes the enrollment ENROLLED and approved.
// The check and the write hold the enrollment's store lease, so a token redeems once even
// across server processes sharing a store.
func (e *enrollmentService) RedeemEnrollment(ctx context.Context, req *dirsyncv1.RedeemEnrollmentRequest) (*dirsyncv1.RedeemEnrollmentResponse, error) {
	if err := e.ready(); err != nil {
		return nil, err
	}
	if err := errors.Join(required("token", req.GetToken()), required("user_id", req.GetUserId())); err != nil {
		return nil, err
	}
	rawID, expiry, err := enrollment.Verify(req.GetToken(), e.opts.Secrets)
	if err != nil {
		return nil, errTokenInvalid
	}
	now := e.now()
	if !now.Before(expiry) {
		return nil, errEnrollmentExpired
	}
	id := rawID.String()
	dir, err := e.findDirectory(ctx, id)
	if err != nil {
		return nil, err
	}
	var (
		en *dirsyncv1.Enrollment
		v  uint64
	)
	err = e.locked(ctx, dir, id, func() error {
		cur, err := e.get(ctx, dir, id)
		if errors.Is(err, store.ErrNotFound) {
			return errRevoked
		} else if err != nil {
			return err
		}
		if gone, err := e.userGone(ctx, dir, cur.GetUserId()); err != nil {
			return err
		} else if gone {
			return errRevoked // the revoker tombstones it shortly
		}
		switch {
		case cur.GetUserId() != req.GetUserId():
			return errUserMismatch
		case req.GetDeviceType() != "" && req.GetDeviceType() != cur.GetDeviceType():
			return errTypeMismatch
		case cur.GetState() != dirsyncv1.EnrollmentState_ENROLLMENT_STATE_PENDING:
			return errAlreadyRedeemed
		}
		en = proto.Clone(cur).(*dirsyncv1.Enrollment)
		en.State = dirsyncv1.EnrollmentState_ENROLLMENT_STATE_ENROLLED
		en.EnrolledAt = timestamppb.New(now)
		en.CredentialId, en.UserAgent, en.Approved = req.GetCredentialId(), req.GetUserAgent(), true
		v, err = e.put(ctx, en)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &dirsyncv1.RedeemEnrollmentResponse{Enrollment: en, RecordVersion: v}, nil
}

// errFound stops the scan of findDirectory.
var errFound = errors.New("found")

// findDirectory returns the directory of the live enrollment with that id, or errRevoked.
// Tokens carry no directory, so it scans the store's ENROLLMENT records: O(enrollments) per
// redemption, which is rare; the directory names in the replica would miss enrollments of a
// directory whose users are all gone (those are revoked anyway, but the scan is exact).
func (e *enrollmentService) findDirectory(ctx context.Context, id string) (string, error) {
	var dir string
	f := store.Filter{Types: []dirsyncv1.RecordType{enrollmentType}}
	_, err := e.store.Snapshot(ctx, f, func(r store.Record) error {
		if r.ID == id {
			dir = r.Directory
			return errFound
		}
		return nil
	})
	switch {
	case errors.Is(err, errFound):
		return dir, nil
	case err != nil:
		return "", err
	}
	return "", errRevoked
}

// Lease timing of locked.
const (
	enrollmentLeaseTTL  = 10 * time.Second
	enrollmentLockWait  = 3 * time.Second
	enrollmentLockRetry = 20 * time.Millisecond
)

// locked runs fn holding the store lease of one enrollment, which every read-check-write of
// an enrollment takes (redeem, revoke, the revoker), so none overwrites another's write. It
// waits up to enrollmentLockWait for the lease, then returns errEnrollmentBusy.
func (e *enrollmentService) locked(ctx context.Context, dir, id string, fn func() error) error {
	var h [8]byte
	_, _ = rand.Read(h[:])
	name, holder := "enrollment/"+dir+"/"+id, hex.EncodeToString(h[:])
	deadline := time.Now().Add(enrollmentLockWait)
	for {
		ok, err := e.store.AcquireLease(ctx, name, holder, enrollmentLeaseTTL)
		if err != nil {
			return err
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			return errEnrollmentBusy
		}
		select {
		case <-time.After(enrollmentLockRetry):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	defer func() { _ = e.store.ReleaseLease(context.WithoutCancel(ctx), name, holder) }()
	return fn()
}
