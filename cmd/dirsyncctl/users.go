package main

import (
	"context"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// cmdUsersList prints ListUsers.
func cmdUsersList(e *env, args []string) error {
	fs := e.flags("users list", "DIRECTORY [--query Q] [--limit N] [--page-token T] [--all]",
		"The directory's users, sorted by id.")
	var l listFlags
	l.register(fs)
	pos, err := e.parseList(fs, &l, args, 1)
	if err != nil {
		return err
	}
	ps, err := pages(e, &l, func(ctx context.Context, token string, minVersion uint64) (*dirsyncv1.ListUsersResponse, error) {
		return e.queryClient().ListUsers(ctx, &dirsyncv1.ListUsersRequest{Directory: pos[0], Query: l.query,
			PageSize: int32(l.limit), PageToken: token, MinRecordVersion: minVersion})
	})
	if err != nil {
		return err
	}
	resp := ps[len(ps)-1]
	resp.Users = concat(ps, (*dirsyncv1.ListUsersResponse).GetUsers)
	if e.json() {
		return e.printJSON(resp)
	}
	e.moreHint(resp.NextPageToken)
	return e.usersTable(resp.Users)
}

// cmdUsersGet prints GetUser.
func cmdUsersGet(e *env, args []string) error {
	fs := e.flags("users get", "DIRECTORY ID", "One user, by the identity provider's id. Exit code 3 when there is none.")
	pos, err := e.parse(fs, args, 2, 2)
	if err != nil {
		return err
	}
	if err := e.connect(); err != nil {
		return err
	}
	ctx, cancel := e.call()
	defer cancel()
	resp, err := e.queryClient().GetUser(ctx, &dirsyncv1.GetUserRequest{Directory: pos[0], Id: pos[1]})
	switch {
	case err != nil:
		return err
	case e.json():
		return e.printJSON(resp)
	}
	return e.userRows(resp.User, resp.RecordVersion)
}

// cmdUsersGroups prints ListUserGroups.
func cmdUsersGroups(e *env, args []string) error {
	fs := e.flags("users groups", "DIRECTORY ID [--effective] [--query Q] [--limit N] [--page-token T] [--all]",
		"The groups a user is a direct member of or, with --effective, a member of through nesting too.")
	effective := fs.Bool("effective", false, "include the groups the user is in through nested groups")
	var l listFlags
	l.register(fs)
	pos, err := e.parseList(fs, &l, args, 2)
	if err != nil {
		return err
	}
	req := &dirsyncv1.ListUserGroupsRequest{Directory: pos[0], UserId: pos[1], Membership: membership(*effective),
		Query: l.query, PageSize: int32(l.limit)}
	ps, err := pages(e, &l, func(ctx context.Context, token string, minVersion uint64) (*dirsyncv1.ListUserGroupsResponse, error) {
		req.PageToken, req.MinRecordVersion = token, minVersion
		return e.queryClient().ListUserGroups(ctx, req)
	})
	if err != nil {
		return err
	}
	resp := ps[len(ps)-1]
	resp.Groups = concat(ps, (*dirsyncv1.ListUserGroupsResponse).GetGroups)
	if e.json() {
		return e.printJSON(resp)
	}
	e.moreHint(resp.NextPageToken)
	return e.groupsTable(resp.Groups)
}

// membership is MEMBERSHIP_TRANSITIVE when transitive, else MEMBERSHIP_DIRECT.
func membership(transitive bool) dirsyncv1.Membership {
	if transitive {
		return dirsyncv1.Membership_MEMBERSHIP_TRANSITIVE
	}
	return dirsyncv1.Membership_MEMBERSHIP_DIRECT
}
