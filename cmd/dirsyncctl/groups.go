package main

import (
	"context"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// cmdGroupsList prints ListGroups.
func cmdGroupsList(e *env, args []string) error {
	fs := e.flags("groups list", "DIRECTORY [--query Q] [--limit N] [--page-token T] [--all]",
		"The directory's groups, sorted by id.")
	var l listFlags
	l.register(fs)
	pos, err := e.parseList(fs, &l, args, 1)
	if err != nil {
		return err
	}
	ps, err := pages(e, &l, func(ctx context.Context, token string, minVersion uint64) (*dirsyncv1.ListGroupsResponse, error) {
		return e.queryClient().ListGroups(ctx, &dirsyncv1.ListGroupsRequest{Directory: pos[0], Query: l.query,
			PageSize: int32(l.limit), PageToken: token, MinRecordVersion: minVersion})
	})
	if err != nil {
		return err
	}
	resp := ps[len(ps)-1]
	resp.Groups = concat(ps, (*dirsyncv1.ListGroupsResponse).GetGroups)
	if e.json() {
		return e.printJSON(resp)
	}
	e.moreHint(resp.NextPageToken)
	return e.groupsTable(resp.Groups)
}

// cmdGroupsGet prints GetGroup.
func cmdGroupsGet(e *env, args []string) error {
	fs := e.flags("groups get", "DIRECTORY ID", "One group, by the identity provider's id. Exit code 3 when there is none.")
	pos, err := e.parse(fs, args, 2, 2)
	if err != nil {
		return err
	}
	if err := e.connect(); err != nil {
		return err
	}
	ctx, cancel := e.call()
	defer cancel()
	resp, err := e.queryClient().GetGroup(ctx, &dirsyncv1.GetGroupRequest{Directory: pos[0], Id: pos[1]})
	switch {
	case err != nil:
		return err
	case e.json():
		return e.printJSON(resp)
	}
	return e.groupRows(resp.Group, resp.RecordVersion)
}

// cmdGroupsMembers prints ListGroupMembers: member users or, with --groups, member groups.
func cmdGroupsMembers(e *env, args []string) error {
	fs := e.flags("groups members", "DIRECTORY ID [--transitive] [--groups] [--query Q] [--limit N] [--page-token T] [--all]",
		"The users that are direct members of a group or, with --transitive, members through nested\n"+
			"groups too. With --groups, the member (nested) groups instead of users.")
	transitive := fs.Bool("transitive", false, "include members of nested groups")
	ofGroups := fs.Bool("groups", false, "list member groups instead of member users")
	var l listFlags
	l.register(fs)
	pos, err := e.parseList(fs, &l, args, 2)
	if err != nil {
		return err
	}
	req := &dirsyncv1.ListGroupMembersRequest{Directory: pos[0], GroupId: pos[1], Membership: membership(*transitive),
		MemberType: dirsyncv1.RecordType_RECORD_TYPE_USER, Query: l.query, PageSize: int32(l.limit)}
	if *ofGroups {
		req.MemberType = dirsyncv1.RecordType_RECORD_TYPE_GROUP
	}
	ps, err := pages(e, &l, func(ctx context.Context, token string, minVersion uint64) (*dirsyncv1.ListGroupMembersResponse, error) {
		req.PageToken, req.MinRecordVersion = token, minVersion
		return e.queryClient().ListGroupMembers(ctx, req)
	})
	if err != nil {
		return err
	}
	resp := ps[len(ps)-1]
	resp.Users = concat(ps, (*dirsyncv1.ListGroupMembersResponse).GetUsers)
	resp.Groups = concat(ps, (*dirsyncv1.ListGroupMembersResponse).GetGroups)
	switch {
	case e.json():
		return e.printJSON(resp)
	case *ofGroups:
		e.moreHint(resp.NextPageToken)
		return e.groupsTable(resp.Groups)
	}
	e.moreHint(resp.NextPageToken)
	return e.usersTable(resp.Users)
}
