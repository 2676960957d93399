package github

import (
	"slices"
	"strings"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
)

// records turns the crawled organizations into users and groups, sorted by id. A user who
// belongs to several organizations is one user. Team members who are not in the member
// listing (they joined between the two queries) are left for the next run.
func records(orgs []*org, ids idAttribute) ([]*dirsyncv1.User, []*dirsyncv1.Group) {
	userID := func(id, login string) string {
		if ids == idNodeID {
			return id
		}
		return login
	}
	teamID := func(org string, t teamRef) string {
		if ids == idNodeID {
			return t.ID
		}
		return org + "/" + t.Slug
	}
	users := map[string]*dirsyncv1.User{}
	var groups []*dirsyncv1.Group
	for _, o := range orgs {
		for _, m := range o.members {
			id := userID(m.ID, m.Login)
			if id == "" || users[id] != nil {
				continue
			}
			users[id] = &dirsyncv1.User{Id: id, Username: m.Login, DisplayName: firstNonEmpty(m.Name, m.Login),
				Email: m.Email, State: dirsyncv1.UserState_USER_STATE_ACTIVE,
				Attributes: providers.Attributes(map[string]any{"login": m.Login, "node_id": m.ID})}
		}
	}
	for _, o := range orgs {
		for _, t := range o.teams {
			id := teamID(o.login, t.ref)
			g := &dirsyncv1.Group{Id: id, Name: t.name, Description: t.description,
				Attributes: providers.Attributes(map[string]any{"org": o.login, "slug": t.ref.Slug, "node_id": t.ref.ID})}
			if t.parent != nil {
				g.GroupIds = []string{teamID(o.login, *t.parent)}
			}
			groups = append(groups, g)
			for _, m := range t.members {
				if u := users[userID(m.ID, m.Login)]; u != nil {
					u.GroupIds = append(u.GroupIds, id)
				}
			}
		}
	}
	out := make([]*dirsyncv1.User, 0, len(users))
	for _, u := range users {
		slices.Sort(u.GroupIds)
		u.GroupIds = slices.Compact(u.GroupIds)
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b *dirsyncv1.User) int { return strings.Compare(a.Id, b.Id) })
	slices.SortFunc(groups, func(a, b *dirsyncv1.Group) int { return strings.Compare(a.Id, b.Id) })
	return out, groups
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
