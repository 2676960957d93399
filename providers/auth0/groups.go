package auth0

import (
	"context"
	"net/url"
	"strconv"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/apiclient"
)

// rolePage is one page of GET /api/v2/roles with include_totals=true.
type rolePage struct {
	Start int `json:"start"`
	Limit int `json:"limit"`
	Total int `json:"total"`
	Roles []struct {
		ID          string `json:"id"`
		Name        string `json:"name"`
		Description string `json:"description"`
	} `json:"roles"`
}

// readRoles lists the roles (offset pages) and then each role's users with checkpoint
// pagination (take/from/next), which, unlike offset paging, is not capped at 1,000 members.
func (p *provider) readRoles(ctx context.Context) ([]groupWithMembers, error) {
	var groups []groupWithMembers
	size := strconv.Itoa(p.pageSize)
	first := "roles?" + url.Values{"per_page": {size}, "page": {"0"}, "include_totals": {"true"}}.Encode()
	err := apiclient.Pages(ctx, p.client, "roles", first,
		func(resp *apiclient.Response, pg *rolePage) string {
			next := pg.Start/p.pageSize + 1
			if len(pg.Roles) == 0 || pg.Start+len(pg.Roles) >= pg.Total {
				return ""
			}
			return apiclient.WithQuery(resp.URL.String(), "page", strconv.Itoa(next))
		},
		func(pg *rolePage) error {
			for _, r := range pg.Roles {
				groups = append(groups, groupWithMembers{group: &dirsyncv1.Group{Id: r.ID, Name: r.Name, Description: r.Description}})
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	err = readMembers[roleMembersPage](ctx, p, groups, "role members",
		func(id string) string { return "roles/" + url.PathEscape(id) + "/users?take=" + size })
	return groups, err
}

// roleMembersPage is one checkpoint page of GET /api/v2/roles/{id}/users.
type roleMembersPage struct {
	Users []struct {
		UserID string `json:"user_id"`
	} `json:"users"`
	Next string `json:"next"`
}

func (pg *roleMembersPage) next() string { return pg.Next }

func (pg *roleMembersPage) userIDs() []string {
	ids := make([]string, len(pg.Users))
	for i, u := range pg.Users {
		ids[i] = u.UserID
	}
	return ids
}

// orgPage is one checkpoint page of GET /api/v2/organizations.
type orgPage struct {
	Organizations []struct {
		ID          string `json:"id"`
		Name        string `json:"name"`
		DisplayName string `json:"display_name"`
	} `json:"organizations"`
	Next string `json:"next"`
}

func (pg *orgPage) next() string { return pg.Next }

// orgMembersPage is one checkpoint page of GET /api/v2/organizations/{id}/members.
type orgMembersPage struct {
	Members []struct {
		UserID string `json:"user_id"`
	} `json:"members"`
	Next string `json:"next"`
}

func (pg *orgMembersPage) next() string { return pg.Next }

func (pg *orgMembersPage) userIDs() []string {
	ids := make([]string, len(pg.Members))
	for i, m := range pg.Members {
		ids[i] = m.UserID
	}
	return ids
}

// readOrganizations lists the organizations and each one's members, both with checkpoint
// pagination. An organization's name (its unique slug) is kept as the attribute "name";
// the group's name is its display name when it has one.
func (p *provider) readOrganizations(ctx context.Context) ([]groupWithMembers, error) {
	var groups []groupWithMembers
	size := strconv.Itoa(p.pageSize)
	err := apiclient.Pages(ctx, p.client, "organizations", "organizations?take="+size, checkpoint[orgPage],
		func(pg *orgPage) error {
			for _, o := range pg.Organizations {
				name := o.DisplayName
				if name == "" {
					name = o.Name
				}
				g := &dirsyncv1.Group{Id: o.ID, Name: name, Attributes: providers.Attributes(map[string]any{"name": o.Name})}
				groups = append(groups, groupWithMembers{group: g})
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	q := url.Values{"take": {size}, "fields": {"user_id"}, "include_fields": {"true"}}.Encode()
	err = readMembers[orgMembersPage](ctx, p, groups, "organization members",
		func(id string) string { return "organizations/" + url.PathEscape(id) + "/members?" + q })
	return groups, err
}

// memberPage is a checkpoint page of a group's members.
type memberPage[P any] interface {
	checkpointPage[P]
	userIDs() []string
}

// readMembers reads each group's members, at most max_concurrency groups at once; first
// gives the URL of a group's first page.
func readMembers[P any, PP memberPage[P]](ctx context.Context, p *provider, groups []groupWithMembers, endpoint string, first func(id string) string) error {
	return apiclient.ForEach(ctx, p.client, len(groups), func(ctx context.Context, i int) error {
		var members []string
		err := apiclient.Pages(ctx, p.client, endpoint, first(groups[i].group.GetId()), checkpoint[P, PP],
			func(pg *P) error {
				members = append(members, PP(pg).userIDs()...)
				return nil
			})
		groups[i].members = members
		return err
	})
}

// checkpointPage is a page of Auth0's checkpoint pagination.
type checkpointPage[P any] interface {
	*P
	next() string
}

// checkpoint is the next URL of a checkpoint listing: the same request with from=<next>,
// while the response carries `next`.
func checkpoint[P any, PP checkpointPage[P]](resp *apiclient.Response, pg *P) string {
	return apiclient.WithQuery(resp.URL.String(), "from", PP(pg).next())
}
