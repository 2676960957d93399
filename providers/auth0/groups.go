package auth0

import (
	"context"
	"net/url"
	"strconv"

	"google.golang.org/protobuf/types/known/structpb"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
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
	err = apiclient.ForEach(ctx, p.client, len(groups), func(ctx context.Context, i int) error {
		var members []string
		err := apiclient.Pages(ctx, p.client, "role members", "roles/"+url.PathEscape(groups[i].group.GetId())+"/users?take="+size,
			checkpoint[roleMembersPage],
			func(pg *roleMembersPage) error {
				for _, u := range pg.Users {
					members = append(members, u.UserID)
				}
				return nil
			})
		groups[i].members = members
		return err
	})
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
				g := &dirsyncv1.Group{Id: o.ID, Name: name}
				if o.Name != "" {
					g.Attributes = &structpb.Struct{Fields: map[string]*structpb.Value{"name": structpb.NewStringValue(o.Name)}}
				}
				groups = append(groups, groupWithMembers{group: g})
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	err = apiclient.ForEach(ctx, p.client, len(groups), func(ctx context.Context, i int) error {
		var members []string
		q := url.Values{"take": {size}, "fields": {"user_id"}, "include_fields": {"true"}}.Encode()
		err := apiclient.Pages(ctx, p.client, "organization members", "organizations/"+url.PathEscape(groups[i].group.GetId())+"/members?"+q,
			checkpoint[orgMembersPage],
			func(pg *orgMembersPage) error {
				for _, m := range pg.Members {
					members = append(members, m.UserID)
				}
				return nil
			})
		groups[i].members = members
		return err
	})
	return groups, err
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
