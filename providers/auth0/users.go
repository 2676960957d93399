package auth0

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// userFields are the user attributes dirsync reads, for the listing's `fields` parameter.
const userFields = "user_id,email,name,nickname,given_name,family_name,username,blocked,identities"

// userPage is one page of GET /api/v2/users with include_totals=true.
type userPage struct {
	Start  int         `json:"start"`
	Limit  int         `json:"limit"`
	Length int         `json:"length"`
	Total  int         `json:"total"`
	Users  []auth0User `json:"users"`
}

// auth0User is a user as the listing returns it.
type auth0User struct {
	profile
	Identities []struct {
		Connection string `json:"connection"`
	} `json:"identities"`
}

func (u auth0User) connection() string {
	if len(u.Identities) == 0 {
		return ""
	}
	return u.Identities[0].Connection
}

// readUsers returns every user of the tenant. The paged listing of /api/v2/users reaches
// only its first listLimit (1,000) results, so a tenant with more users — seen in the first
// page's total, or when the listing reaches the limit with more to come — is read with a
// user-export job instead.
func (p *provider) readUsers(ctx context.Context) ([]*dirsyncv1.User, error) {
	var users []*dirsyncv1.User
	for page := 0; ; page++ {
		if (page+1)*p.pageSize > p.listLimit {
			return p.exportUsers(ctx)
		}
		q := url.Values{"per_page": {strconv.Itoa(p.pageSize)}, "page": {strconv.Itoa(page)},
			"include_totals": {"true"}, "fields": {userFields}, "include_fields": {"true"}}
		resp, err := p.client.Get(ctx, "users", "users?"+q.Encode())
		if err != nil {
			return nil, err
		}
		var pg userPage
		if err := json.Unmarshal(resp.Body, &pg); err != nil {
			return nil, fmt.Errorf("users: page %d: decoding the response: %w", page+1, err)
		}
		if page == 0 && pg.Total > p.listLimit {
			return p.exportUsers(ctx)
		}
		for _, u := range pg.Users {
			users = append(users, u.record())
		}
		if len(pg.Users) < p.pageSize || pg.Start+len(pg.Users) >= pg.Total {
			return dedupe(users), nil
		}
	}
}

// dedupe drops repeated ids (a user created during the listing can shift a page).
func dedupe(users []*dirsyncv1.User) []*dirsyncv1.User {
	seen := make(map[string]bool, len(users))
	out := users[:0]
	for _, u := range users {
		if u.GetId() == "" || seen[u.GetId()] {
			continue
		}
		seen[u.GetId()] = true
		out = append(out, u)
	}
	return out
}
