package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store/memory"
)

// queryFixture: corp has groups all ⊃ eng ⊃ platform, users alice (platform), bob (eng),
// carol (no group), and 250 users u000…u249 in all.
func queryFixture(t *testing.T) *testServer {
	st := memory.New()
	recs := []*dirsyncv1.Record{
		testGroup("corp", "all"), testGroup("corp", "eng", "all"), testGroup("corp", "platform", "eng"),
		testUser("corp", "alice", "platform"), testUser("corp", "bob", "eng"), testUser("corp", "carol"),
	}
	for i := range 250 {
		recs = append(recs, testUser("corp", fmt.Sprintf("u%03d", i), "all"))
	}
	apply(t, st, "corp", recs...)
	apply(t, st, "other", testUser("other", "alice"))
	return startServer(t, st, Options{})
}

func TestQueries(t *testing.T) {
	ts := queryFixture(t)
	ctx := context.Background()

	u, err := ts.query.GetUser(ctx, &dirsyncv1.GetUserRequest{Directory: "corp", Id: "alice"})
	require.NoError(t, err)
	require.Equal(t, "alice@example.com", u.User.Email)
	require.Equal(t, ts.Replica().Version(), u.RecordVersion)

	g, err := ts.query.GetGroup(ctx, &dirsyncv1.GetGroupRequest{Directory: "corp", Id: "eng"})
	require.NoError(t, err)
	require.Equal(t, "Group eng", g.Group.Name)

	// Pagination: every user once, in id order, across pages.
	var ids []string
	tok := ""
	for {
		page, err := ts.query.ListUsers(ctx, &dirsyncv1.ListUsersRequest{Directory: "corp", PageSize: 100, PageToken: tok})
		require.NoError(t, err)
		for _, u := range page.Users {
			ids = append(ids, u.Id)
		}
		if tok = page.NextPageToken; tok == "" {
			break
		}
	}
	require.Len(t, ids, 253)
	require.IsIncreasing(t, ids)

	search, err := ts.query.ListUsers(ctx, &dirsyncv1.ListUsersRequest{Directory: "corp", Query: "ALICE@"})
	require.NoError(t, err)
	require.Len(t, search.Users, 1)

	members := func(group, query string, m dirsyncv1.Membership, typ dirsyncv1.RecordType) []string {
		resp, err := ts.query.ListGroupMembers(ctx, &dirsyncv1.ListGroupMembersRequest{Directory: "corp", GroupId: group, Membership: m, MemberType: typ, Query: query})
		require.NoError(t, err)
		var out []string
		for _, u := range resp.Users {
			out = append(out, u.Id)
		}
		for _, g := range resp.Groups {
			out = append(out, g.Id)
		}
		return out
	}
	require.Equal(t, []string{"alice"}, members("all", "ALI", dirsyncv1.Membership_MEMBERSHIP_TRANSITIVE, 0))
	require.Empty(t, members("all", "ali", dirsyncv1.Membership_MEMBERSHIP_DIRECT, 0))
	require.Len(t, members("all", "", dirsyncv1.Membership_MEMBERSHIP_TRANSITIVE, 0), 100, "first page of 252")
	require.Equal(t, []string{"platform"}, members("all", "form", dirsyncv1.Membership_MEMBERSHIP_TRANSITIVE, dirsyncv1.RecordType_RECORD_TYPE_GROUP))

	groups, err := ts.query.ListUserGroups(ctx, &dirsyncv1.ListUserGroupsRequest{Directory: "corp", UserId: "alice", Membership: dirsyncv1.Membership_MEMBERSHIP_TRANSITIVE})
	require.NoError(t, err)
	require.Len(t, groups.Groups, 3)
	direct, err := ts.query.ListUserGroups(ctx, &dirsyncv1.ListUserGroupsRequest{Directory: "corp", UserId: "alice"})
	require.NoError(t, err)
	require.Len(t, direct.Groups, 1)
}

func TestQueryErrors(t *testing.T) {
	ts := queryFixture(t)
	ctx := context.Background()

	_, err := ts.query.ListUsers(ctx, &dirsyncv1.ListUsersRequest{Directory: "corp", PageSize: 5000})
	requireInvalid(t, err, "page_size")
	_, err = ts.query.ListGroups(ctx, &dirsyncv1.ListGroupsRequest{Directory: "corp", PageToken: "not-a-token"})
	requireInvalid(t, err, "page_token")
	_, err = ts.query.ListUsers(ctx, &dirsyncv1.ListUsersRequest{})
	requireInvalid(t, err, "directory")
	_, err = ts.query.ListGroupMembers(ctx, &dirsyncv1.ListGroupMembersRequest{Directory: "corp", GroupId: "all", MemberType: 9})
	requireInvalid(t, err, "member_type")
	_, err = ts.query.ListUserGroups(ctx, &dirsyncv1.ListUserGroupsRequest{Directory: "corp", UserId: "alice", Membership: 7})
	requireInvalid(t, err, "membership")

	for name, call := range map[string]func() error{
		"user": func() error {
			_, err := ts.query.GetUser(ctx, &dirsyncv1.GetUserRequest{Directory: "corp", Id: "nobody"})
			return err
		},
		"group": func() error {
			_, err := ts.query.GetGroup(ctx, &dirsyncv1.GetGroupRequest{Directory: "corp", Id: "nogroup"})
			return err
		},
		"members": func() error {
			_, err := ts.query.ListGroupMembers(ctx, &dirsyncv1.ListGroupMembersRequest{Directory: "corp", GroupId: "nogroup"})
			return err
		},
		"user groups": func() error {
			_, err := ts.query.ListUserGroups(ctx, &dirsyncv1.ListUserGroupsRequest{Directory: "corp", UserId: "nobody"})
			return err
		},
		"other dir": func() error {
			_, err := ts.query.GetUser(ctx, &dirsyncv1.GetUserRequest{Directory: "other", Id: "bob"})
			return err
		},
	} {
		require.Equal(t, codes.NotFound, status.Code(call()), name)
	}

	// min_record_version beyond what exists waits for the call's deadline.
	dctx, cancel := context.WithTimeout(ctx, 50_000_000)
	defer cancel()
	_, err = ts.query.GetUser(dctx, &dirsyncv1.GetUserRequest{Directory: "corp", Id: "alice", MinRecordVersion: 1 << 40})
	require.Equal(t, codes.DeadlineExceeded, status.Code(err))
}

// TestREST covers the gateway routes, error mapping and the documents beside them.
func TestREST(t *testing.T) {
	ts := queryFixture(t)
	get := func(path string) (int, map[string]any) {
		resp, err := http.Get(ts.httpURL + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		var out map[string]any
		if path != "/healthz" {
			require.NoError(t, json.Unmarshal(body, &out), string(body))
		}
		return resp.StatusCode, out
	}
	code, body := get("/v1/directories/corp/users/alice")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "alice@example.com", body["user"].(map[string]any)["email"])

	code, body = get("/v1/directories/corp/users/alice/groups?membership=MEMBERSHIP_TRANSITIVE")
	require.Equal(t, http.StatusOK, code)
	require.Len(t, body["groups"], 3)

	code, body = get("/v1/directories/corp/groups/all/members?membership=MEMBERSHIP_TRANSITIVE&page_size=2")
	require.Equal(t, http.StatusOK, code)
	require.Len(t, body["users"], 2)
	require.NotEmpty(t, body["next_page_token"])

	code, _ = get("/v1/directories/corp/users/nobody")
	require.Equal(t, http.StatusNotFound, code)
	code, body = get("/v1/directories/corp/users?page_size=5000")
	require.Equal(t, http.StatusBadRequest, code)
	require.Contains(t, body["message"], "page_size")

	code, body = get("/openapi.json")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body["paths"], "/v1/directories/{directory}/users")
	code, _ = get("/healthz")
	require.Equal(t, http.StatusOK, code)
}
