package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/timestamppb"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store"
)

const enrollmentType = dirsyncv1.RecordType_RECORD_TYPE_ENROLLMENT

// enrollment returns an upsert of a pending enrollment of user in dir.
func enrollment(dir, id, user string) *dirsyncv1.Record {
	return &dirsyncv1.Record{Type: enrollmentType, Directory: dir, Id: id, Data: &dirsyncv1.Record_Enrollment{Enrollment: &dirsyncv1.Enrollment{
		Id: id, Directory: dir, UserId: user, State: dirsyncv1.EnrollmentState_ENROLLMENT_STATE_PENDING,
		CreatedAt: timestamppb.New(time.Unix(1700000000, 0)), ExpiresAt: timestamppb.New(time.Unix(1700600000, 0)),
	}}}
}

// testEnrollment checks that ENROLLMENT records are stored, filtered, read and deleted like
// users and groups, and that one without enrollment data is rejected.
func testEnrollment(t *testing.T, s store.Store) {
	ctx := context.Background()
	e := enrollment("d", "e1", "u1")
	apply(t, s, "d", user("d", "u1", "one"), e)
	r, err := s.Get(ctx, enrollmentType, "d", "e1")
	require.NoError(t, err)
	requireSameRecord(t, e, r)
	recs, _ := snapshot(t, s, store.Filter{Types: []dirsyncv1.RecordType{enrollmentType}})
	require.Len(t, recs, 1)
	require.Equal(t, "e1", recs[0].ID)

	_, err = s.Apply(ctx, store.Batch{Directory: "d", Records: records(
		&dirsyncv1.Record{Type: enrollmentType, Directory: "d", Id: "e2", Data: &dirsyncv1.Record_User{User: &dirsyncv1.User{Id: "e2"}}},
	)})
	require.ErrorIs(t, err, store.ErrInvalid)

	v := apply(t, s, "d", del(enrollmentType, "d", "e1"))
	got := changes(t, s, v.Latest-1)
	require.Len(t, got, 1)
	require.True(t, got[0].Deleted)
	requireSameRecord(t, e, got[0])
	_, err = s.Get(ctx, enrollmentType, "d", "e1")
	require.ErrorIs(t, err, store.ErrNotFound)
}
