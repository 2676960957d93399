package okta

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/dirsync/dirsync/providers/apiclient"
)

// Endpoint labels for metrics and errors.
const (
	usersEndpoint      = "users"
	groupsEndpoint     = "groups"
	membersEndpoint    = "group members"
	userGroupsEndpoint = "user groups"
)

// list reads every page of an Okta listing, following the Link rel="next" URL as given,
// passes each page's objects to fn, and returns the Okta server time of the first
// response. Any failed page fails the listing.
func list[T any](ctx context.Context, c *apiclient.Client, endpoint, first string, fn func([]T)) (time.Time, error) {
	var at time.Time
	asked := time.Now()
	err := apiclient.Pages(ctx, c, endpoint, first,
		func(resp *apiclient.Response, _ *[]T) string {
			if at.IsZero() {
				at = serverTime(resp, asked)
			}
			return apiclient.NextLink(resp)
		},
		func(page *[]T) error { fn(*page); return nil })
	return at, err
}

// serverTime is the response's Date, or asked (the local time the request was made) when
// it has none.
func serverTime(resp *apiclient.Response, asked time.Time) time.Time {
	if t, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		return t
	}
	return asked
}

// listURL returns the first page URL of path with an optional filter expression.
func listURL(path, filter string) string {
	q := url.Values{"limit": {strconv.Itoa(pageSize)}}
	if filter != "" {
		q.Set("filter", filter)
	}
	return path + "?" + q.Encode()
}

// members reads the members of group id, passing each to fn. A group deleted since it
// was listed gives an error for which isGone is true.
func (p *provider) members(ctx context.Context, id string, fn func(*user)) error {
	_, err := list(ctx, p.client, membersEndpoint, membersURL(id), func(page []user) {
		for i := range page {
			fn(&page[i])
		}
	})
	return err
}

// memberIDs reads the ids of the members of group id, sorted, decoding nothing else.
func (p *provider) memberIDs(ctx context.Context, id string) ([]string, error) {
	var ids []string
	_, err := list(ctx, p.client, membersEndpoint, membersURL(id), func(page []struct {
		ID string `json:"id"`
	}) {
		for _, m := range page {
			ids = append(ids, m.ID)
		}
	})
	slices.Sort(ids)
	return slices.Compact(ids), err
}

// groupsOfUser reads the ids of the groups user id is a direct member of, sorted. A user
// deleted meanwhile gives an error for which isGone is true.
func (p *provider) groupsOfUser(ctx context.Context, id string) ([]string, error) {
	var ids []string
	_, err := list(ctx, p.client, userGroupsEndpoint, listURL("api/v1/users/"+url.PathEscape(id)+"/groups", ""),
		func(page []struct {
			ID string `json:"id"`
		}) {
			for _, g := range page {
				ids = append(ids, g.ID)
			}
		})
	slices.Sort(ids)
	return slices.Compact(ids), err
}

func membersURL(group string) string {
	return listURL("api/v1/groups/"+url.PathEscape(group)+"/users", "")
}

// isGone reports whether err is Okta's 404 (E0000007) for an object that no longer exists.
func isGone(err error) bool {
	var se *apiclient.StatusError
	return errors.As(err, &se) && se.Status == http.StatusNotFound
}
