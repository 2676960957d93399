package cognito

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/apiclient"
)

// Sync reads the whole pool: users (ListUsers), groups (ListGroups) and each group's
// members (ListUsersInGroup, one listing per group: Cognito has no bulk membership
// listing). Any failed page fails the Sync; the result is always Full.
func (p *provider) Sync(ctx context.Context, _ []byte) (*providers.Result, error) {
	users, byUsername, err := p.users(ctx)
	if err != nil {
		return nil, err
	}
	groups, err := p.groups(ctx)
	if err != nil {
		return nil, err
	}
	if err := p.memberships(ctx, groups, users, byUsername); err != nil {
		return nil, err
	}
	out := make([]*dirsyncv1.User, 0, len(users))
	for _, u := range users {
		slices.Sort(u.GroupIds)
		u.GroupIds = slices.Compact(u.GroupIds)
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b *dirsyncv1.User) int { return strings.Compare(a.GetId(), b.GetId()) })
	providers.ProgressFrom(ctx).Read(len(out), len(groups))
	return &providers.Result{Full: true, Users: out, Groups: groups}, nil
}

// users lists the pool's users by sub, and maps usernames to subs.
func (p *provider) users(ctx context.Context) (map[string]*dirsyncv1.User, map[string]string, error) {
	users := map[string]*dirsyncv1.User{}
	byUsername := map[string]string{}
	in := func(token string) any {
		return listUsersInput{UserPoolID: p.poolID, Limit: pageLimit, PaginationToken: token}
	}
	next := func(o *listUsersOutput) string { return o.PaginationToken }
	err := pages(ctx, p, "users", targetListUsers, in, next, func(o *listUsersOutput) error {
		for i := range o.Users {
			u := &o.Users[i]
			r, err := userRecord(u)
			if err != nil {
				return err
			}
			users[r.GetId()] = r
			byUsername[u.Username] = r.GetId()
		}
		return nil
	})
	return users, byUsername, err
}

// groups lists the pool's groups, sorted by name (their id).
func (p *provider) groups(ctx context.Context) ([]*dirsyncv1.Group, error) {
	var out []*dirsyncv1.Group
	in := func(token string) any {
		return listGroupsInput{UserPoolID: p.poolID, Limit: pageLimit, NextToken: token}
	}
	next := func(o *listGroupsOutput) string { return o.NextToken }
	err := pages(ctx, p, "groups", targetListGroups, in, next, func(o *listGroupsOutput) error {
		for i := range o.Groups {
			if o.Groups[i].GroupName == "" {
				return fmt.Errorf("groups: a group has no GroupName")
			}
			out = append(out, groupRecord(&o.Groups[i]))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b *dirsyncv1.Group) int { return strings.Compare(a.GetId(), b.GetId()) })
	return out, nil
}

// memberships adds each group to the group_ids of its members, for members listed by
// ListUsers (a user created during the Sync shows up in the next one).
func (p *provider) memberships(ctx context.Context, groups []*dirsyncv1.Group, users map[string]*dirsyncv1.User, byUsername map[string]string) error {
	members := make([][]string, len(groups)) // subs by group index, filled concurrently
	err := apiclient.ForEach(ctx, p.client, len(groups), func(ctx context.Context, i int) error {
		name := groups[i].GetId()
		in := func(token string) any {
			return listGroupsInput{UserPoolID: p.poolID, GroupName: name, Limit: pageLimit, NextToken: token}
		}
		next := func(o *listUsersInGroupOutput) string { return o.NextToken }
		return pages(ctx, p, "group members", targetListUsersInGrp, in, next, func(o *listUsersInGroupOutput) error {
			for j := range o.Users {
				sub := o.Users[j].attr("sub")
				if sub == "" {
					sub = byUsername[o.Users[j].Username]
				}
				members[i] = append(members[i], sub)
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	for i, subs := range members {
		for _, sub := range subs {
			if u := users[sub]; u != nil {
				u.GroupIds = append(u.GroupIds, groups[i].GetId())
			}
		}
	}
	return nil
}

// pages calls one listing operation until its output carries no next token: in builds
// the request body for a token ("" first), next reads the output's token, fn receives
// each page. A token seen before is an error (a server repeating a page would loop
// forever); so is a page that does not decode.
func pages[O any](ctx context.Context, p *provider, endpoint, target string, in func(token string) any, next func(*O) string, fn func(*O) error) error {
	seen := map[string]bool{}
	for token, n := "", 1; ; n++ {
		body, err := json.Marshal(in(token))
		if err != nil {
			return fmt.Errorf("%s: %w", endpoint, err)
		}
		req, err := p.signer.request(ctx, endpoint, target, body)
		if err != nil {
			return err
		}
		resp, err := p.client.Do(ctx, req)
		if err != nil {
			return err
		}
		out := new(O)
		if err := json.Unmarshal(resp.Body, out); err != nil {
			return fmt.Errorf("%s: page %d: decoding the response: %w", endpoint, n, err)
		}
		if err := fn(out); err != nil {
			return err
		}
		token = next(out)
		if token == "" {
			return nil
		}
		if seen[token] {
			return fmt.Errorf("%s: page %d repeats the token of an earlier page", endpoint, n+1)
		}
		seen[token] = true
	}
}
