package google

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/dirsync/dirsync/providers/apiclient"
)

// Page sizes: the largest each Directory API listing allows.
const (
	usersPageSize   = "500"
	groupsPageSize  = "200"
	membersPageSize = "200"
)

// apiUser is the part of a Directory API User resource dirsync reads.
type apiUser struct {
	ID           string `json:"id"`
	PrimaryEmail string `json:"primaryEmail"`
	Name         struct {
		FullName   string `json:"fullName"`
		GivenName  string `json:"givenName"`
		FamilyName string `json:"familyName"`
	} `json:"name"`
	Suspended        bool   `json:"suspended"`
	SuspensionReason string `json:"suspensionReason"`
	Archived         bool   `json:"archived"`
	IsAdmin          bool   `json:"isAdmin"`
	OrgUnitPath      string `json:"orgUnitPath"`
}

// apiGroup is the part of a Directory API Group resource dirsync reads.
type apiGroup struct {
	ID          string `json:"id"`
	Email       string `json:"email"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

// Member types of the Directory API.
const (
	memberUser     = "USER"
	memberGroup    = "GROUP"
	memberCustomer = "CUSTOMER" // every user of the customer's account
	memberExternal = "EXTERNAL"
)

// apiMember is one entry of a group's member listing.
type apiMember struct {
	ID     string `json:"id"`
	Email  string `json:"email"`
	Type   string `json:"type"`
	Status string `json:"status"`
}

// listUsers reads every user of the account, 500 per page.
func (p *provider) listUsers(ctx context.Context) ([]apiUser, error) {
	q := p.query(usersPageSize)
	q.Set("projection", "basic")
	var out []apiUser
	next := func(r *apiclient.Response, pg *usersPage) string { return nextPage(r, pg.NextPageToken) }
	err := apiclient.Pages(ctx, p.client, "users", "admin/directory/v1/users?"+q.Encode(), next,
		func(pg *usersPage) error { out = append(out, pg.Users...); return nil })
	return out, err
}

// listGroups reads every group of the account, 200 per page.
func (p *provider) listGroups(ctx context.Context) ([]apiGroup, error) {
	var out []apiGroup
	next := func(r *apiclient.Response, pg *groupsPage) string { return nextPage(r, pg.NextPageToken) }
	err := apiclient.Pages(ctx, p.client, "groups", "admin/directory/v1/groups?"+p.query(groupsPageSize).Encode(), next,
		func(pg *groupsPage) error { out = append(out, pg.Groups...); return nil })
	return out, err
}

// listMembers reads the direct members of the group with id groupID, 200 per page.
func (p *provider) listMembers(ctx context.Context, groupID string) ([]apiMember, error) {
	var out []apiMember
	first := "admin/directory/v1/groups/" + url.PathEscape(groupID) + "/members?maxResults=" + membersPageSize
	next := func(r *apiclient.Response, pg *membersPage) string { return nextPage(r, pg.NextPageToken) }
	err := apiclient.Pages(ctx, p.client, "group members", first, next,
		func(pg *membersPage) error { out = append(out, pg.Members...); return nil })
	return out, err
}

// query selects the account (customer or domain) and the page size.
func (p *provider) query(pageSize string) url.Values {
	q := url.Values{}
	for k, v := range p.scope {
		q[k] = v
	}
	q.Set("maxResults", pageSize)
	return q
}

type usersPage struct {
	Users         []apiUser `json:"users"`
	NextPageToken string    `json:"nextPageToken"`
}

type groupsPage struct {
	Groups        []apiGroup `json:"groups"`
	NextPageToken string     `json:"nextPageToken"`
}

type membersPage struct {
	Members       []apiMember `json:"members"`
	NextPageToken string      `json:"nextPageToken"`
}

// nextPage follows Google's page tokens: the next page is the same request with pageToken
// set to the response's nextPageToken; none ends the listing.
func nextPage(resp *apiclient.Response, token string) string {
	return apiclient.WithQuery(resp.URL.String(), "pageToken", token)
}

// throttleReasons are the error reasons with which the Directory API answers 403 (or 429)
// when a rate limit or quota of concurrent requests is exceeded; they pass with backoff.
// (dailyLimitExceeded does not, and is not among them.)
var throttleReasons = map[string]bool{"quotaExceeded": true, "userRateLimitExceeded": true, "rateLimitExceeded": true}

// throttled reports a 403 that is a rate limit, read from Google's error body
// {"error": {"code", "message", "errors": [{"reason"}]}}.
func throttled(resp *apiclient.Response) bool {
	if resp == nil || resp.Status != http.StatusForbidden {
		return false
	}
	var body struct {
		Error struct {
			Errors []struct {
				Reason string `json:"reason"`
			} `json:"errors"`
		} `json:"error"`
	}
	if json.Unmarshal(resp.Body, &body) != nil {
		return false
	}
	for _, e := range body.Error.Errors {
		if throttleReasons[e.Reason] {
			return true
		}
	}
	return false
}
