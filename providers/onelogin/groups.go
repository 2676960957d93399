package onelogin

import (
	"context"
	"strconv"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers/apiclient"
)

// groupPage is one page of GET /api/1/groups (API v1 has no limit parameter: 50 per page).
type groupPage struct {
	Pagination struct {
		AfterCursor string `json:"after_cursor"`
	} `json:"pagination"`
	Data []struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	} `json:"data"`
}

// readGroups lists the account's groups with GET /api/1/groups (the API has no /api/2
// groups listing), following pagination.after_cursor with the after_cursor parameter.
func (p *provider) readGroups(ctx context.Context) ([]*dirsyncv1.Group, error) {
	var groups []*dirsyncv1.Group
	err := apiclient.Pages(ctx, p.client, "groups", "api/1/groups",
		func(resp *apiclient.Response, pg *groupPage) string {
			return apiclient.WithQuery(resp.URL.String(), "after_cursor", pg.Pagination.AfterCursor)
		},
		func(pg *groupPage) error {
			for _, g := range pg.Data {
				groups = append(groups, &dirsyncv1.Group{Id: strconv.FormatInt(g.ID, 10), Name: g.Name})
			}
			return nil
		})
	return groups, err
}

// role is a role as GET /api/2/roles returns it.
type role struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// readRoles lists the account's roles with GET /api/2/roles (After-Cursor pagination).
func (p *provider) readRoles(ctx context.Context) ([]*dirsyncv1.Group, error) {
	var groups []*dirsyncv1.Group
	err := apiclient.Pages(ctx, p.client, "roles", "api/2/roles?limit="+strconv.Itoa(p.pageSize), afterCursor[[]role],
		func(page *[]role) error {
			for _, r := range *page {
				groups = append(groups, &dirsyncv1.Group{Id: strconv.FormatInt(r.ID, 10), Name: r.Name})
			}
			return nil
		})
	return groups, err
}

// roleUser is a user as GET /api/2/roles/{id}/users returns it.
type roleUser struct {
	ID       int64 `json:"id"`
	Assigned *bool `json:"assigned"`
}

// roleMembers lists the users of each role, one listing per role at most max_concurrency at
// once; members[i] are the user ids of roles[i]. It is needed only when the user listing
// does not carry role_ids.
func (p *provider) roleMembers(ctx context.Context, roles []*dirsyncv1.Group) ([][]int64, error) {
	members := make([][]int64, len(roles))
	err := apiclient.ForEach(ctx, p.client, len(roles), func(ctx context.Context, i int) error {
		first := "api/2/roles/" + roles[i].GetId() + "/users?limit=" + strconv.Itoa(p.pageSize)
		return apiclient.Pages(ctx, p.client, "role members", first, afterCursor[[]roleUser],
			func(page *[]roleUser) error {
				for _, u := range *page {
					if u.Assigned == nil || *u.Assigned {
						members[i] = append(members[i], u.ID)
					}
				}
				return nil
			})
	})
	return members, err
}
