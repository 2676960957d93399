package okta

import (
	"context"
	"time"

	"golang.org/x/sync/errgroup"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/apiclient"
)

// full reads the whole org: every user but the deactivated ones (Okta's plain listing),
// every group, and each group's members (one listing per group, at most max_concurrency at
// once). A group deleted between the group listing and its member read is left out. The
// result is Full; its membership index becomes pending.
func (p *provider) full(ctx context.Context) (*providers.Result, error) {
	var (
		users             []user
		groups            []group
		members           [][]string
		gone              []bool
		usersAt, groupsAt time.Time
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		usersAt, err = list(gctx, p.client, usersEndpoint, listURL("api/v1/users", ""),
			func(page []user) { users = append(users, page...) })
		return err
	})
	g.Go(func() (err error) {
		groupsAt, err = list(gctx, p.client, groupsEndpoint, listURL("api/v1/groups", ""),
			func(page []group) { groups = append(groups, page...) })
		if err != nil {
			return err
		}
		members, gone = make([][]string, len(groups)), make([]bool, len(groups))
		return apiclient.ForEach(gctx, p.client, len(groups), func(ctx context.Context, i int) error {
			ids, err := p.memberIDs(ctx, groups[i].ID)
			if isGone(err) {
				gone[i] = true
				return nil
			}
			members[i] = ids
			return err
		})
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}

	index := &membership{gen: newGen(), members: make(map[string][]string, len(groups)),
		read: make(map[string]time.Time, len(groups))}
	res := &providers.Result{Full: true, Groups: make([]*dirsyncv1.Group, 0, len(groups))}
	for i := range groups {
		gr := &groups[i]
		if _, dup := index.members[gr.ID]; gone[i] || dup {
			continue // deleted meanwhile, or listed twice
		}
		index.members[gr.ID], index.read[gr.ID] = members[i], gr.LastMembershipUpdated
		res.Groups = append(res.Groups, gr.record())
	}
	groupsOf := make(map[string][]string, len(users))
	for gid, ids := range index.members {
		for _, id := range ids {
			groupsOf[id] = append(groupsOf[id], gid)
		}
	}
	res.Users = make([]*dirsyncv1.User, 0, len(users))
	seen := make(map[string]bool, len(users))
	for i := range users {
		u := &users[i]
		if seen[u.ID] || u.Status == deprovisioned {
			continue
		}
		seen[u.ID] = true
		res.Users = append(res.Users, u.record(groupsOf[u.ID]))
	}
	providers.ProgressFrom(ctx).Read(len(res.Users), len(res.Groups))
	res.Cursor = cursor{Gen: index.gen, FullSync: usersAt, Users: usersAt, Groups: groupsAt}.encode()
	p.mem.propose(index)
	return res, nil
}
