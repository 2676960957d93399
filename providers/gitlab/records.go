package gitlab

import (
	"slices"
	"strconv"
	"strings"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
)

// records turns the groups and their direct members (members[i] of groups[i]) into users
// and groups sorted by id.
//
// GitLab's inheritance runs from parent to subgroup: a direct member of a group is a
// member of every subgroup below it, and a member of a subgroup is not a member of its
// parent. In dirsync a group's group_ids are the groups it is a member of, and effective
// groups flow through them; so a parent group is made a member of each of its direct
// subgroups. A user directly in the parent then has every descendant as an effective
// group, and a user directly in a subgroup does not get the parent. A subgroup whose
// parent is not synced has no edge.
func records(groups []group, members [][]member) ([]*dirsyncv1.User, []*dirsyncv1.Group) {
	recs := make(map[int64]*dirsyncv1.Group, len(groups))
	for _, g := range groups {
		recs[g.ID] = &dirsyncv1.Group{Id: id(g.ID), Name: firstNonEmpty(g.FullPath, g.Name), Description: g.Description,
			Attributes: providers.Attributes(map[string]any{"name": g.Name, "full_name": g.FullName})}
	}
	for _, g := range groups {
		if g.ParentID == nil {
			continue
		}
		if parent := recs[*g.ParentID]; parent != nil && *g.ParentID != g.ID {
			parent.GroupIds = append(parent.GroupIds, id(g.ID))
		}
	}
	users := map[int64]*dirsyncv1.User{}
	for i, g := range groups {
		for _, m := range members[i] {
			if m.ID <= 0 || m.MembershipState == "awaiting" {
				continue
			}
			u := users[m.ID]
			if u == nil {
				u = &dirsyncv1.User{Id: id(m.ID), Username: m.Username, DisplayName: firstNonEmpty(m.Name, m.Username),
					Email: m.Email, State: userState(m.State), Attributes: providers.Attributes(map[string]any{"state": m.State})}
				users[m.ID] = u
			}
			u.GroupIds = append(u.GroupIds, id(g.ID))
		}
	}
	outUsers := make([]*dirsyncv1.User, 0, len(users))
	for _, u := range users {
		slices.Sort(u.GroupIds)
		u.GroupIds = slices.Compact(u.GroupIds)
		outUsers = append(outUsers, u)
	}
	outGroups := make([]*dirsyncv1.Group, 0, len(recs))
	for _, g := range recs {
		slices.Sort(g.GroupIds)
		g.GroupIds = slices.Compact(g.GroupIds)
		outGroups = append(outGroups, g)
	}
	slices.SortFunc(outUsers, func(a, b *dirsyncv1.User) int { return strings.Compare(a.Id, b.Id) })
	slices.SortFunc(outGroups, func(a, b *dirsyncv1.Group) int { return strings.Compare(a.Id, b.Id) })
	return outUsers, outGroups
}

// userState maps GitLab's user state: active; blocked, deactivated, banned, ldap_blocked
// (no sign-in); blocked_pending_approval (not yet approved by an administrator).
func userState(s string) dirsyncv1.UserState {
	switch s {
	case "active":
		return dirsyncv1.UserState_USER_STATE_ACTIVE
	case "blocked_pending_approval":
		return dirsyncv1.UserState_USER_STATE_PENDING
	case "":
		return dirsyncv1.UserState_USER_STATE_UNSPECIFIED
	}
	return dirsyncv1.UserState_USER_STATE_SUSPENDED
}

func id(n int64) string { return strconv.FormatInt(n, 10) }

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
