package okta

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/apiclient"
)

// delta reads what changed since c, whose membership index is base:
//
//   - users with lastUpdated after the users watermark (one filtered listing; it includes
//     deactivated users, which become deletions);
//   - groups with lastUpdated or lastMembershipUpdated after the groups watermark (one
//     filtered listing), and the members of those whose lastMembershipUpdated differs
//     from the index's (one listing each; a 404 means the group was deleted);
//   - users who left a re-read group and appear in no listing above, by id (filtered
//     listings of idsPerLookup ids; a user not found was deleted).
//
// Every user whose record or membership changed is upserted whole, its groups taken from
// the updated index. With no changes it makes two requests and returns Unchanged. The
// result is idempotent: running it twice from c gives the same records.
func (p *provider) delta(ctx context.Context, c cursor, base *membership) (*providers.Result, error) {
	var changedUsers []user
	usersAt, err := list(ctx, p.client, usersEndpoint,
		listURL("api/v1/users", fmt.Sprintf(`lastUpdated gt "%s"`, timestamp(c.Users.Add(-overlap)))),
		func(page []user) { changedUsers = append(changedUsers, page...) })
	if err != nil {
		return nil, err
	}
	var changedGroups []group
	t := timestamp(c.Groups.Add(-overlap))
	groupsAt, err := list(ctx, p.client, groupsEndpoint,
		listURL("api/v1/groups", fmt.Sprintf(`lastUpdated gt "%s" or lastMembershipUpdated gt "%s"`, t, t)),
		func(page []group) { changedGroups = append(changedGroups, page...) })
	if err != nil {
		return nil, err
	}
	if len(changedUsers) == 0 && len(changedGroups) == 0 {
		return &providers.Result{Unchanged: true, Cursor: c.encode()}, nil
	}

	listed := map[string]bool{}
	changedGroups = slices.DeleteFunc(changedGroups, func(g group) bool { // a page repeated by Okta
		dup := listed[g.ID]
		listed[g.ID] = true
		return dup
	})

	// Re-read the members of the groups whose membership changed since the index.
	var reread []*group
	for i := range changedGroups {
		g := &changedGroups[i]
		if at, ok := base.read[g.ID]; !ok || !at.Equal(g.LastMembershipUpdated) {
			reread = append(reread, g)
		}
	}
	fresh, gone := make([][]user, len(reread)), make([]bool, len(reread))
	err = apiclient.ForEach(ctx, p.client, len(reread), func(ctx context.Context, i int) error {
		err := p.members(ctx, reread[i].ID, func(u *user) { fresh[i] = append(fresh[i], *u) })
		if isGone(err) {
			gone[i] = true
			return nil
		}
		return err
	})
	if err != nil {
		return nil, err
	}

	res := &providers.Result{}
	next := base
	if len(reread) > 0 {
		next = base.derive()
	}
	affected := map[string]bool{} // users whose record or groups may have changed
	known := map[string]*user{}   // the newest record read of each
	note := func(u *user) {
		if k := known[u.ID]; k == nil || u.LastUpdated.After(k.LastUpdated) {
			known[u.ID] = u
		}
	}
	deleted := map[string]bool{}
	for i, g := range reread {
		before := base.members[g.ID]
		if gone[i] {
			delete(next.members, g.ID)
			delete(next.read, g.ID)
			deleted[g.ID] = true
			res.DeletedGroups = append(res.DeletedGroups, g.ID)
			markAll(affected, before)
			continue
		}
		ids := make([]string, 0, len(fresh[i]))
		for j := range fresh[i] {
			note(&fresh[i][j])
			ids = append(ids, fresh[i][j].ID)
		}
		slices.Sort(ids)
		ids = slices.Compact(ids)
		markChanged(affected, before, ids)
		next.members[g.ID], next.read[g.ID] = ids, g.LastMembershipUpdated
	}
	for i := range changedGroups {
		if g := &changedGroups[i]; !deleted[g.ID] {
			res.Groups = append(res.Groups, g.record())
		}
	}
	for i := range changedUsers {
		affected[changedUsers[i].ID] = true
		note(&changedUsers[i])
	}
	var missing []string
	for id := range affected {
		if known[id] == nil {
			missing = append(missing, id)
		}
	}
	if err := p.lookup(ctx, missing, note); err != nil {
		return nil, err
	}

	// Users the index does not know (rebuilt from the store, it lacks deactivated ones):
	// their groups are looked up, one listing each.
	var strangers []string
	for id := range affected {
		if u := known[id]; u != nil && u.Status != deprovisioned && !next.knows(id) {
			strangers = append(strangers, id)
		}
	}
	if len(strangers) > 0 {
		if next == base {
			next = base.derive()
		}
		if err := p.learnGroups(ctx, next, strangers, known); err != nil {
			return nil, err
		}
	}

	groupsOf := next.groupsOf(affected)
	for _, id := range slices.Sorted(maps.Keys(affected)) {
		u := known[id]
		if u == nil || u.Status == deprovisioned {
			res.DeletedUsers = append(res.DeletedUsers, id)
			continue
		}
		res.Users = append(res.Users, u.record(groupsOf[id]))
	}
	providers.ProgressFrom(ctx).Read(len(res.Users), len(res.Groups))
	c.Gen, c.Users, c.Groups = next.gen, usersAt, groupsAt
	res.Cursor = c.encode()
	if next != base {
		p.mem.propose(next)
	}
	return res, nil
}

// markAll marks ids as affected.
func markAll(affected map[string]bool, ids []string) {
	for _, id := range ids {
		affected[id] = true
	}
}

// markChanged marks the ids in exactly one of the sorted lists a and b (joined or left).
func markChanged(affected map[string]bool, a, b []string) {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && a[i] < b[j]):
			affected[a[i]] = true
			i++
		case i == len(a) || b[j] < a[i]:
			affected[b[j]] = true
			j++
		default:
			i, j = i+1, j+1
		}
	}
}

// idsPerLookup bounds the ids in one lookup's filter expression, keeping its URL short.
const idsPerLookup = 25

// lookup reads the users of ids by filtered listings (id eq "…" or …), passing each found
// to fn. Ids not found belong to deleted users.
func (p *provider) lookup(ctx context.Context, ids []string, fn func(*user)) error {
	slices.Sort(ids)
	for chunk := range slices.Chunk(ids, idsPerLookup) {
		terms := make([]string, len(chunk))
		for i, id := range chunk {
			terms[i] = fmt.Sprintf(`id eq "%s"`, id)
		}
		_, err := list(ctx, p.client, usersEndpoint, listURL("api/v1/users", strings.Join(terms, " or ")),
			func(page []user) {
				for i := range page {
					fn(&page[i])
				}
			})
		if err != nil {
			return err
		}
	}
	return nil
}

// learnGroups looks up the groups of each of ids (GET /api/v1/users/{id}/groups, at most
// max_concurrency at once) and records them in next; a user deleted meanwhile (404) is
// removed from known, so that the delta deletes it.
func (p *provider) learnGroups(ctx context.Context, next *membership, ids []string, known map[string]*user) error {
	slices.Sort(ids)
	groups, gone := make([][]string, len(ids)), make([]bool, len(ids))
	err := apiclient.ForEach(ctx, p.client, len(ids), func(ctx context.Context, i int) error {
		var err error
		groups[i], err = p.groupsOfUser(ctx, ids[i])
		if isGone(err) {
			gone[i] = true
			return nil
		}
		return err
	})
	if err != nil {
		return err
	}
	for i, id := range ids {
		if gone[i] {
			delete(known, id)
			continue
		}
		next.learn(id, groups[i])
	}
	return nil
}
