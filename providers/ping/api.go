package ping

import (
	"slices"
	"strings"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/apiclient"
)

// hal is the part of a PingOne collection page that links to the next page.
type hal struct {
	Links struct {
		Next struct {
			Href string `json:"href"`
		} `json:"next"`
	} `json:"_links"`
}

func (h *hal) nextURL() string { return h.Links.Next.Href }

// nextHref reads the next page's URL (_links.next.href) of a page embedding hal; "" ends
// the listing.
func nextHref[P any, PP interface {
	*P
	nextURL() string
}](_ *apiclient.Response, pg *P) string {
	return PP(pg).nextURL()
}

// userPage is one page of GET users.
type userPage struct {
	hal
	Embedded struct {
		Users []user `json:"users"`
	} `json:"_embedded"`
}

// groupPage is one page of GET groups.
type groupPage struct {
	hal
	Embedded struct {
		Groups []group `json:"groups"`
	} `json:"_embedded"`
}

// nestingPage is one page of GET groups/{id}/memberOfGroups: the groups that contain the
// group, as group memberships (or, with expand=group, as groups).
type nestingPage struct {
	hal
	Embedded struct {
		Memberships []struct {
			ID string `json:"id"`
		} `json:"groupMemberships"`
		Groups []struct {
			ID string `json:"id"`
		} `json:"groups"`
	} `json:"_embedded"`
}

// parentIDs returns the ids of the containing groups on the page.
func (p *nestingPage) parentIDs() []string {
	var ids []string
	for _, m := range p.Embedded.Memberships {
		ids = append(ids, m.ID)
	}
	for _, g := range p.Embedded.Groups {
		ids = append(ids, g.ID)
	}
	return ids
}

// user is a PingOne user resource, the fields dirsync reads.
type user struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	Email    string `json:"email"`
	Name     struct {
		Formatted string `json:"formatted"`
		Given     string `json:"given"`
		Family    string `json:"family"`
	} `json:"name"`
	Enabled   *bool `json:"enabled"`
	Lifecycle struct {
		Status string `json:"status"`
	} `json:"lifecycle"`
	Account struct {
		Status string `json:"status"`
	} `json:"account"`
	Population struct {
		ID string `json:"id"`
	} `json:"population"`
	MemberOfGroupIDs []string `json:"memberOfGroupIDs"`
}

// record returns the dirsync user, keeping only group ids in known.
func (u *user) record(known map[string]bool) *dirsyncv1.User {
	var groups []string
	for _, id := range u.MemberOfGroupIDs {
		if known[id] {
			groups = append(groups, id)
		}
	}
	slices.Sort(groups)
	display := u.Name.Formatted
	if display == "" {
		display = strings.TrimSpace(u.Name.Given + " " + u.Name.Family)
	}
	if display == "" {
		display = u.Username
	}
	attrs := map[string]any{}
	if u.Enabled != nil {
		attrs["enabled"] = *u.Enabled
	}
	attrs["lifecycle_status"] = u.Lifecycle.Status
	attrs["account_status"] = u.Account.Status
	attrs["population_id"] = u.Population.ID
	return &dirsyncv1.User{
		Id: u.ID, Email: u.Email, Username: u.Username, DisplayName: display,
		GivenName: u.Name.Given, FamilyName: u.Name.Family,
		State: u.state(), GroupIds: slices.Compact(groups), Attributes: providers.Attributes(attrs),
	}
}

// state maps PingOne's enabled flag, account status and lifecycle status: a disabled or
// locked account is suspended; one still waiting for email verification is pending.
func (u *user) state() dirsyncv1.UserState {
	switch {
	case u.Enabled != nil && !*u.Enabled, strings.EqualFold(u.Account.Status, "LOCKED"):
		return dirsyncv1.UserState_USER_STATE_SUSPENDED
	case strings.EqualFold(u.Lifecycle.Status, "VERIFICATION_REQUIRED"):
		return dirsyncv1.UserState_USER_STATE_PENDING
	}
	return dirsyncv1.UserState_USER_STATE_ACTIVE
}

// group is a PingOne group resource, the fields dirsync reads.
type group struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	ExternalID  string `json:"externalId"`
	Population  struct {
		ID string `json:"id"`
	} `json:"population"`
}

// record returns the dirsync group without its parents (see provider.nestings).
func (g *group) record() *dirsyncv1.Group {
	attrs := map[string]any{}
	attrs["population_id"] = g.Population.ID
	attrs["external_id"] = g.ExternalID
	return &dirsyncv1.Group{Id: g.ID, Name: g.Name, Description: g.Description, Attributes: providers.Attributes(attrs)}
}
