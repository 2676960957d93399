package gitlab

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"

	"github.com/dirsync/dirsync/providers/apiclient"
)

// group is a GitLab group as the groups API returns it.
type group struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Path        string `json:"path"`
	FullName    string `json:"full_name"`
	FullPath    string `json:"full_path"`
	Description string `json:"description"`
	ParentID    *int64 `json:"parent_id"`
}

// member is a direct member of a group.
type member struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
	Name     string `json:"name"`
	State    string `json:"state"`
	// Email is visible only to administrators and, for enterprise users, group owners.
	Email string `json:"email"`
	// MembershipState is "awaiting" for members waiting for a seat (no access yet).
	MembershipState string `json:"membership_state"`
}

// next is GitLab's pagination: the Link header's rel="next" (offset and keyset
// pagination), else X-Next-Page (empty on the last page).
func next[P any](r *apiclient.Response, _ *P) string {
	if link := apiclient.NextLink(r); link != "" {
		return link
	}
	return apiclient.WithQuery(r.URL.String(), "page", r.Header.Get("X-Next-Page"))
}

// listGroups returns the groups to sync, without duplicates: with option groups, each
// named group and its descendants; otherwise GET /groups.
func (p *provider) listGroups(ctx context.Context) ([]group, error) {
	var out []group
	seen := map[int64]bool{}
	add := func(page *[]group) error {
		for _, g := range *page {
			if g.ID <= 0 {
				return fmt.Errorf("groups: a group without an id")
			}
			if !seen[g.ID] {
				seen[g.ID] = true
				out = append(out, g)
			}
		}
		return nil
	}
	if len(p.groups) == 0 {
		return out, apiclient.Pages(ctx, p.client, "groups", "groups?per_page=100&all_available=false", next[[]group], add)
	}
	for _, name := range p.groups {
		resp, err := p.client.Get(ctx, "group", "groups/"+url.PathEscape(name))
		if err != nil {
			return nil, fmt.Errorf("gitlab group %q: %w", name, err)
		}
		var top group
		if err := json.Unmarshal(resp.Body, &top); err != nil {
			return nil, fmt.Errorf("gitlab group %q: decoding the response: %w", name, err)
		}
		if err := add(&[]group{top}); err != nil {
			return nil, err
		}
		first := "groups/" + strconv.FormatInt(top.ID, 10) + "/descendant_groups?per_page=100"
		if err := apiclient.Pages(ctx, p.client, "descendant groups", first, next[[]group], add); err != nil {
			return nil, fmt.Errorf("gitlab group %q: %w", name, err)
		}
	}
	return out, nil
}

// listMembers returns g's direct members.
func (p *provider) listMembers(ctx context.Context, g group) ([]member, error) {
	var out []member
	first := "groups/" + strconv.FormatInt(g.ID, 10) + "/members?per_page=100"
	err := apiclient.Pages(ctx, p.client, "group members", first, next[[]member], func(page *[]member) error {
		out = append(out, *page...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("gitlab group %q: %w", g.FullPath, err)
	}
	return out, nil
}
