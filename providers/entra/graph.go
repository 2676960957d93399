package entra

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/apiclient"
)

// The first request of a round without a deltaLink, per collection. Only the selected
// properties are tracked; members makes group objects carry members@delta.
const (
	usersDelta  = "users/delta?$select=id,displayName,mail,userPrincipalName,givenName,surname,accountEnabled"
	groupsDelta = "groups/delta?$select=id,displayName,mail,description,members"
	spsDelta    = "servicePrincipals/delta?$select=id,displayName,appId,accountEnabled,servicePrincipalType"
)

// maxPageSize asks Graph for its largest delta pages (the default is 100).
const maxPageSize = "odata.maxpagesize=999"

// Graph's @odata.type of the member kinds dirsync reads.
const (
	typeUser             = "#microsoft.graph.user"
	typeGroup            = "#microsoft.graph.group"
	typeServicePrincipal = "#microsoft.graph.servicePrincipal"
)

// removed is Graph's "@removed" annotation: the object (or membership) is gone. Reason
// "changed" means soft-deleted (restorable), "deleted" permanently deleted; dirsync treats
// both as a deletion.
type removed struct {
	Reason string `json:"reason"`
}

// graphUser is a user of /users/delta. Graph returns every selected property that has
// ever been set, changed or not, so an object replaces the earlier one.
type graphUser struct {
	ID                string   `json:"id"`
	DisplayName       string   `json:"displayName"`
	Mail              string   `json:"mail"`
	UserPrincipalName string   `json:"userPrincipalName"`
	GivenName         string   `json:"givenName"`
	Surname           string   `json:"surname"`
	AccountEnabled    *bool    `json:"accountEnabled"`
	Removed           *removed `json:"@removed"`
}

// graphServicePrincipal is a service principal of /servicePrincipals/delta.
type graphServicePrincipal struct {
	ID                   string   `json:"id"`
	DisplayName          string   `json:"displayName"`
	AppID                string   `json:"appId"`
	ServicePrincipalType string   `json:"servicePrincipalType"`
	AccountEnabled       *bool    `json:"accountEnabled"`
	Removed              *removed `json:"@removed"`
}

// graphGroup is a group of /groups/delta. members@delta holds the whole membership in a
// first round and the added and removed members in later ones; a large group's members
// come in several objects of the same group, on any pages of the round.
type graphGroup struct {
	ID          string        `json:"id"`
	DisplayName string        `json:"displayName"`
	Mail        string        `json:"mail"`
	Description string        `json:"description"`
	Members     []graphMember `json:"members@delta"`
	Removed     *removed      `json:"@removed"`
}

type graphMember struct {
	Type    string   `json:"@odata.type"`
	ID      string   `json:"id"`
	Removed *removed `json:"@removed"`
}

// deltaPage is one page of a delta round: a nextLink to follow, or on the last page the
// deltaLink that starts the next round.
type deltaPage[T any] struct {
	Value     []T    `json:"value"`
	NextLink  string `json:"@odata.nextLink"`
	DeltaLink string `json:"@odata.deltaLink"`
}

// round reads one delta round of a collection from link (a saved deltaLink, or the
// collection's first delta URL): it follows @odata.nextLink until a page carries
// @odata.deltaLink, passes each object to fn in order, and returns the deltaLink. A page
// with neither link, or a nextLink seen before, is an error, never the end of the data.
// When resumed is true (link is a saved deltaLink), Graph's answers for an expired or
// unusable delta token are providers.ErrCursorExpired.
func round[T any](ctx context.Context, c *apiclient.Client, endpoint, link string, resumed bool, fn func(*T)) (string, error) {
	var delta string
	err := apiclient.PagesOf(ctx, c, apiclient.Request{URL: link, Endpoint: endpoint, Header: http.Header{"Prefer": {maxPageSize}}},
		func(_ *apiclient.Response, page *deltaPage[T]) string {
			delta = page.DeltaLink
			if delta != "" {
				return ""
			}
			return page.NextLink
		},
		func(page *deltaPage[T]) error {
			for i := range page.Value {
				fn(&page.Value[i])
			}
			return nil
		})
	switch {
	case err != nil && resumed && tokenExpired(err):
		return "", fmt.Errorf("%s: the delta token is no longer valid: %w: %w", endpoint, providers.ErrCursorExpired, err)
	case err != nil:
		return "", err
	case delta == "":
		return "", fmt.Errorf("%s: the last page has neither @odata.nextLink nor @odata.deltaLink", endpoint)
	}
	return delta, nil
}

// tokenExpired reports whether err is Graph refusing a delta token: 410 Gone, or the error
// codes syncStateNotFound, syncStateInvalid or resyncRequired (with 400 or another status).
func tokenExpired(err error) bool {
	var se *apiclient.StatusError
	if !errors.As(err, &se) {
		return false
	}
	if se.Status == http.StatusGone {
		return true
	}
	switch strings.ToLower(se.Code) {
	case "syncstatenotfound", "syncstateinvalid", "resyncrequired":
		return true
	}
	return false
}
