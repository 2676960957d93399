package server

import (
	"context"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"time"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/replica"
)

// queryService implements DirectoryQuery from the server's replica.
type queryService struct {
	dirsyncv1.UnimplementedDirectoryQueryServer
	replica *replica.Replica
	// loaded is closed once the replica holds the whole store.
	loaded <-chan struct{}
}

// maxReadWait bounds the wait for min_record_version when the call has no deadline.
const maxReadWait = 30 * time.Second

// listRequest is what every list request has in common.
type listRequest interface {
	GetDirectory() string
	GetQuery() string
	GetPageSize() int32
	GetPageToken() string
	GetMinRecordVersion() uint64
}

// begin validates the common fields and waits until the replica has loaded the store (so no
// query answers from a partial index at start) and has applied minVersion.
func (q *queryService) begin(ctx context.Context, dir string, minVersion uint64) error {
	if dir == "" {
		return invalidField("directory", "required")
	}
	select {
	case <-q.loaded:
		if minVersion == 0 || q.replica.Version() >= minVersion {
			return nil
		}
	default:
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, maxReadWait)
		defer cancel()
	}
	select {
	case <-q.loaded:
	case <-ctx.Done():
		return status.Error(codes.Unavailable, "the server is still loading the store")
	}
	return q.replica.WaitForVersion(ctx, minVersion)
}

// list validates a list request and returns its replica query.
func (q *queryService) list(ctx context.Context, req listRequest) (replica.Query, error) {
	if err := q.begin(ctx, req.GetDirectory(), req.GetMinRecordVersion()); err != nil {
		return replica.Query{}, err
	}
	limit, err := pageSize(req.GetPageSize())
	if err != nil {
		return replica.Query{}, err
	}
	after, err := decodePageToken(req.GetPageToken())
	if err != nil {
		return replica.Query{}, err
	}
	return replica.Query{Directory: req.GetDirectory(), Text: req.GetQuery(), After: after, Limit: limit}, nil
}

// nextToken returns the next_page_token of a page.
func nextToken[T interface{ GetId() string }](p replica.Page[T]) string {
	if !p.More || len(p.Items) == 0 {
		return ""
	}
	return encodePageToken(p.Items[len(p.Items)-1].GetId())
}

func required(field, v string) error {
	if v == "" {
		return invalidField(field, "required")
	}
	return nil
}

func (q *queryService) GetUser(ctx context.Context, req *dirsyncv1.GetUserRequest) (*dirsyncv1.GetUserResponse, error) {
	if err := q.begin(ctx, req.GetDirectory(), req.GetMinRecordVersion()); err != nil {
		return nil, err
	}
	if err := required("id", req.GetId()); err != nil {
		return nil, err
	}
	v := q.replica.Version()
	u, err := q.replica.User(req.GetDirectory(), req.GetId())
	if err != nil {
		return nil, notFound("user", req.GetId(), req.GetDirectory(), err)
	}
	return &dirsyncv1.GetUserResponse{User: u, RecordVersion: v}, nil
}

func (q *queryService) GetGroup(ctx context.Context, req *dirsyncv1.GetGroupRequest) (*dirsyncv1.GetGroupResponse, error) {
	if err := q.begin(ctx, req.GetDirectory(), req.GetMinRecordVersion()); err != nil {
		return nil, err
	}
	if err := required("id", req.GetId()); err != nil {
		return nil, err
	}
	v := q.replica.Version()
	g, err := q.replica.Group(req.GetDirectory(), req.GetId())
	if err != nil {
		return nil, notFound("group", req.GetId(), req.GetDirectory(), err)
	}
	return &dirsyncv1.GetGroupResponse{Group: g, RecordVersion: v}, nil
}

func (q *queryService) ListUsers(ctx context.Context, req *dirsyncv1.ListUsersRequest) (*dirsyncv1.ListUsersResponse, error) {
	rq, err := q.list(ctx, req)
	if err != nil {
		return nil, err
	}
	p := q.replica.Users(rq)
	return &dirsyncv1.ListUsersResponse{Users: p.Items, NextPageToken: nextToken(p), RecordVersion: p.Version}, nil
}

func (q *queryService) ListGroups(ctx context.Context, req *dirsyncv1.ListGroupsRequest) (*dirsyncv1.ListGroupsResponse, error) {
	rq, err := q.list(ctx, req)
	if err != nil {
		return nil, err
	}
	p := q.replica.Groups(rq)
	return &dirsyncv1.ListGroupsResponse{Groups: p.Items, NextPageToken: nextToken(p), RecordVersion: p.Version}, nil
}

func (q *queryService) ListGroupMembers(ctx context.Context, req *dirsyncv1.ListGroupMembersRequest) (*dirsyncv1.ListGroupMembersResponse, error) {
	rq, err := q.list(ctx, req)
	if err != nil {
		return nil, err
	}
	if err := required("group_id", req.GetGroupId()); err != nil {
		return nil, err
	}
	transitive, err := transitiveOf(req.GetMembership())
	if err != nil {
		return nil, err
	}
	switch req.GetMemberType() {
	case dirsyncv1.RecordType_RECORD_TYPE_UNSPECIFIED, dirsyncv1.RecordType_RECORD_TYPE_USER:
		p, err := q.replica.GroupUsers(rq, req.GetGroupId(), transitive)
		if err != nil {
			return nil, notFound("group", req.GetGroupId(), req.GetDirectory(), err)
		}
		return &dirsyncv1.ListGroupMembersResponse{Users: p.Items, NextPageToken: nextToken(p), RecordVersion: p.Version}, nil
	case dirsyncv1.RecordType_RECORD_TYPE_GROUP:
		p, err := q.replica.GroupSubgroups(rq, req.GetGroupId(), transitive)
		if err != nil {
			return nil, notFound("group", req.GetGroupId(), req.GetDirectory(), err)
		}
		return &dirsyncv1.ListGroupMembersResponse{Groups: p.Items, NextPageToken: nextToken(p), RecordVersion: p.Version}, nil
	}
	return nil, invalidField("member_type", "must be RECORD_TYPE_USER or RECORD_TYPE_GROUP, got %s", req.GetMemberType())
}

func (q *queryService) ListUserGroups(ctx context.Context, req *dirsyncv1.ListUserGroupsRequest) (*dirsyncv1.ListUserGroupsResponse, error) {
	rq, err := q.list(ctx, req)
	if err != nil {
		return nil, err
	}
	if err := required("user_id", req.GetUserId()); err != nil {
		return nil, err
	}
	effective, err := transitiveOf(req.GetMembership())
	if err != nil {
		return nil, err
	}
	p, err := q.replica.UserGroups(rq, req.GetUserId(), effective)
	if err != nil {
		return nil, notFound("user", req.GetUserId(), req.GetDirectory(), err)
	}
	return &dirsyncv1.ListUserGroupsResponse{Groups: p.Items, NextPageToken: nextToken(p), RecordVersion: p.Version}, nil
}

// notFound names the missing record in a replica error.
func notFound(kind, id, dir string, err error) error {
	return fmt.Errorf("%s %q in directory %q: %w", kind, id, dir, err)
}

func transitiveOf(m dirsyncv1.Membership) (bool, error) {
	switch m {
	case dirsyncv1.Membership_MEMBERSHIP_UNSPECIFIED, dirsyncv1.Membership_MEMBERSHIP_DIRECT:
		return false, nil
	case dirsyncv1.Membership_MEMBERSHIP_TRANSITIVE:
		return true, nil
	}
	return false, invalidField("membership", "unknown membership %d", m)
}
