package github

import (
	"context"
	"errors"
	"fmt"

	"github.com/dirsync/dirsync/providers/apiclient"
)

// org is what one organization's crawl read.
type org struct {
	login   string
	members []member
	teams   []*team
}

// team is one team and its immediate members.
type team struct {
	ref               teamRef
	name, description string
	parent            *teamRef
	members           []memberRef
	// after is the cursor of the members not yet read ("" when complete).
	after string
}

// listOrgs returns the logins of the organizations of the token's user (GET /user/orgs).
// None is an error: syncing nothing would delete the whole directory.
func (p *provider) listOrgs(ctx context.Context) ([]string, error) {
	var orgs []string
	err := apiclient.Pages(ctx, p.client, "organizations", "user/orgs?per_page=100",
		func(r *apiclient.Response, _ *[]orgEntry) string { return apiclient.NextLink(r) },
		func(page *[]orgEntry) error {
			for _, o := range *page {
				if o.Login == "" {
					return errors.New("organizations: an organization without a login")
				}
				orgs = append(orgs, o.Login)
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	if len(orgs) == 0 {
		return nil, errors.New("organizations: the token sees no organization (GET /user/orgs is empty); " +
			"set option \"orgs\", and give the token read:org (or Members: read)")
	}
	return orgs, nil
}

// orgEntry is an entry of GET /user/orgs.
type orgEntry struct {
	Login string `json:"login"`
}

// crawl reads the members and teams of orgs: each organization's member listing and team
// listing run concurrently (bounded by the client), then the member pages of teams with
// more than 100 members.
func (p *provider) crawl(ctx context.Context, logins []string) ([]*org, error) {
	orgs := make([]*org, len(logins))
	for i, l := range logins {
		orgs[i] = &org{login: l}
	}
	err := apiclient.ForEach(ctx, p.client, 2*len(orgs), func(ctx context.Context, i int) error {
		if i%2 == 0 {
			return p.readMembers(ctx, orgs[i/2])
		}
		return p.readTeams(ctx, orgs[i/2])
	})
	if err != nil {
		return nil, err
	}
	type pending struct {
		org  string
		team *team
	}
	var rest []pending
	for _, o := range orgs {
		for _, t := range o.teams {
			if t.after != "" {
				rest = append(rest, pending{o.login, t})
			}
		}
	}
	err = apiclient.ForEach(ctx, p.client, len(rest), func(ctx context.Context, i int) error {
		return p.readTeamMembers(ctx, rest[i].org, rest[i].team)
	})
	if err != nil {
		return nil, err
	}
	return orgs, nil
}

// readMembers reads o's members.
func (p *provider) readMembers(ctx context.Context, o *org) error {
	const endpoint = "members"
	for after := ""; ; {
		var data struct {
			Organization *struct {
				MembersWithRole connection[member] `json:"membersWithRole"`
			} `json:"organization"`
		}
		if err := p.query(ctx, endpoint, membersQuery, map[string]any{"org": o.login, "after": cursorVar(after)}, &data); err != nil {
			return orgError(o.login, err)
		}
		if data.Organization == nil {
			return orgError(o.login, errNoOrg)
		}
		o.members = append(o.members, data.Organization.MembersWithRole.Nodes...)
		next, err := data.Organization.MembersWithRole.PageInfo.next(endpoint)
		if err != nil || next == "" {
			return orgError(o.login, err)
		}
		after = next
	}
}

// readTeams reads o's teams with their first page of members.
func (p *provider) readTeams(ctx context.Context, o *org) error {
	const endpoint = "teams"
	for after := ""; ; {
		var data struct {
			Organization *struct {
				Teams connection[teamNode] `json:"teams"`
			} `json:"organization"`
		}
		if err := p.query(ctx, endpoint, teamsQuery, map[string]any{"org": o.login, "after": cursorVar(after)}, &data); err != nil {
			return orgError(o.login, err)
		}
		if data.Organization == nil {
			return orgError(o.login, errNoOrg)
		}
		for _, n := range data.Organization.Teams.Nodes {
			if n.ID == "" || n.Slug == "" {
				return orgError(o.login, errors.New(endpoint+": a team without id or slug"))
			}
			after, err := n.Members.PageInfo.next("team members")
			if err != nil {
				return orgError(o.login, err)
			}
			o.teams = append(o.teams, &team{ref: teamRef{ID: n.ID, Slug: n.Slug}, name: n.Name, description: n.Description,
				parent: n.ParentTeam, members: n.Members.Nodes, after: after})
		}
		next, err := data.Organization.Teams.PageInfo.next(endpoint)
		if err != nil || next == "" {
			return orgError(o.login, err)
		}
		after = next
	}
}

// readTeamMembers reads the members of t after t.after.
func (p *provider) readTeamMembers(ctx context.Context, login string, t *team) error {
	const endpoint = "team members"
	for t.after != "" {
		var data struct {
			Organization *struct {
				Team *struct {
					Members connection[memberRef] `json:"members"`
				} `json:"team"`
			} `json:"organization"`
		}
		vars := map[string]any{"org": login, "slug": t.ref.Slug, "after": t.after}
		if err := p.query(ctx, endpoint, teamMembersQuery, vars, &data); err != nil {
			return orgError(login, err)
		}
		if data.Organization == nil || data.Organization.Team == nil {
			// The team went away between two queries: fail this run; the next one reads
			// the new state.
			return orgError(login, fmt.Errorf("%s: team %q disappeared during the sync", endpoint, t.ref.Slug))
		}
		t.members = append(t.members, data.Organization.Team.Members.Nodes...)
		next, err := data.Organization.Team.Members.PageInfo.next(endpoint)
		if err != nil {
			return orgError(login, err)
		}
		t.after = next
	}
	return nil
}

var errNoOrg = errors.New("organization not found or not visible to the token")

// orgError names the organization in err (nil stays nil).
func orgError(login string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("github organization %q: %w", login, err)
}
