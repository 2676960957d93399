package server

import (
	"context"
	"errors"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store"
)

// errPageFull stops a snapshot scan once a page is complete.
var errPageFull = errors.New("page full")

// ListEnrollments pages through a directory's live enrollments in id order, read from a store
// snapshot (so it sees every write acknowledged before the call).
func (e *enrollmentService) ListEnrollments(ctx context.Context, req *dirsyncv1.ListEnrollmentsRequest) (*dirsyncv1.ListEnrollmentsResponse, error) {
	if err := e.ready(); err != nil {
		return nil, err
	}
	if err := required("directory", req.GetDirectory()); err != nil {
		return nil, err
	}
	limit, err := pageSize(req.GetPageSize())
	if err != nil {
		return nil, err
	}
	after, err := decodePageToken(req.GetPageToken())
	if err != nil {
		return nil, err
	}
	var (
		out  []*dirsyncv1.Enrollment
		more bool
	)
	f := store.Filter{Types: []dirsyncv1.RecordType{enrollmentType}, Directories: []string{req.GetDirectory()}}
	_, err = e.store.Snapshot(ctx, f, func(r store.Record) error {
		if r.ID <= after {
			return nil
		}
		rec, err := r.Decode()
		if err != nil {
			return err
		}
		en := rec.GetEnrollment()
		if (req.GetUserId() != "" && en.GetUserId() != req.GetUserId()) ||
			(req.GetState() != dirsyncv1.EnrollmentState_ENROLLMENT_STATE_UNSPECIFIED && en.GetState() != req.GetState()) {
			return nil
		}
		if len(out) == limit {
			more = true
			return errPageFull
		}
		out = append(out, en)
		return nil
	})
	if err != nil && !errors.Is(err, errPageFull) {
		return nil, err
	}
	resp := &dirsyncv1.ListEnrollmentsResponse{Enrollments: out}
	if more {
		resp.NextPageToken = encodePageToken(out[len(out)-1].GetId())
	}
	return resp, nil
}
