// Package onelogin is the `onelogin` provider: it reads the users of a OneLogin account
// and, as groups, either its groups (each user is in at most one) or its roles, through the
// OneLogin API with an API credential pair (OAuth2 client credentials). It owns the token
// request OneLogin documents, cursor pagination, and turning OneLogin's numeric user
// status into dirsync's UserState. It only reads; every request goes through
// providers/apiclient.
package onelogin

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/apiclient"
)

// Options configures a OneLogin directory. The tags are its schema.
type Options struct {
	ClientID     string `yaml:"client_id" required:"true" desc:"client id of a OneLogin API credential with the Read users scope"`
	ClientSecret string `yaml:"client_secret" required:"true" secret:"true" desc:"client secret of that API credential"`
	URL          string `yaml:"url" default:"https://api.us.onelogin.com" desc:"API base URL: https://api.us.onelogin.com, https://api.eu.onelogin.com or https://SUBDOMAIN.onelogin.com"`
	GroupSource  string `yaml:"group_source" default:"groups" desc:"what becomes dirsync groups: groups (each user's one OneLogin group) or roles (the user's roles)"`

	apiclient.Options `yaml:",inline"`
}

// Register adds the onelogin provider type to r.
func Register(r *providers.Registry) {
	providers.Register(r, "onelogin", "OneLogin",
		func(o Options, deps providers.Deps) (providers.Provider, error) {
			return newProvider(o, deps, tuning{})
		})
}

// Group sources.
const (
	sourceGroups = "groups"
	sourceRoles  = "roles"
)

// tuning holds what tests change; zero values mean production defaults.
type tuning struct {
	// minRetryDelay is apiclient's first backoff.
	minRetryDelay time.Duration
	// pageSize is the limit parameter of the /api/2 listings (default 1000).
	pageSize int
}

// provider reads one OneLogin account.
type provider struct {
	client      *apiclient.Client
	groupSource string
	pageSize    int
}

// newProvider checks o and returns its provider. Errors name the option, never a secret.
func newProvider(o Options, deps providers.Deps, t tuning) (*provider, error) {
	switch {
	case o.ClientID == "":
		return nil, fmt.Errorf("option %q: required", "client_id")
	case o.ClientSecret == "":
		return nil, fmt.Errorf("option %q: required", "client_secret")
	}
	base := o.URL
	if base == "" {
		base = "https://api.us.onelogin.com"
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return nil, fmt.Errorf("option %q: %q is not an API base URL such as https://api.us.onelogin.com", "url", o.URL)
	}
	base = strings.TrimSuffix(base, "/")
	source := o.GroupSource
	if source == "" {
		source = sourceGroups
	}
	if source != sourceGroups && source != sourceRoles {
		return nil, fmt.Errorf("option %q: %q is not groups or roles", "group_source", o.GroupSource)
	}
	if t.pageSize <= 0 {
		t.pageSize = 1000
	}
	cfg := o.Options.Config(deps.Directory, base+"/")
	cfg.Auth = apiclient.OAuth2(apiclient.JSONClientCredentials(base+"/auth/oauth2/v2/token", o.ClientID, o.ClientSecret))
	// OneLogin's X-RateLimit-Reset is the seconds left in the window.
	cfg.Limits = &apiclient.RateLimitHeaders{Remaining: "X-RateLimit-Remaining", Reset: "X-RateLimit-Reset", ResetIsDelta: true}
	cfg.MinRetryDelay = t.minRetryDelay
	client, err := apiclient.New(cfg)
	if err != nil {
		return nil, err
	}
	return &provider{client: client, groupSource: source, pageSize: t.pageSize}, nil
}

// Sync reads every user and group (or role); the result is always Full. Users and groups
// are read concurrently; any failed request fails the whole Sync.
func (p *provider) Sync(ctx context.Context, _ []byte) (*providers.Result, error) {
	var (
		users  []oneloginUser
		groups []*dirsyncv1.Group
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		users, err = p.readUsers(gctx)
		return err
	})
	g.Go(func() (err error) {
		if p.groupSource == sourceRoles {
			groups, err = p.readRoles(gctx)
		} else {
			groups, err = p.readGroups(gctx)
		}
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	memberships, err := p.memberships(ctx, users, groups)
	if err != nil {
		return nil, err
	}
	out := make([]*dirsyncv1.User, 0, len(users))
	seen := make(map[int64]bool, len(users))
	for _, u := range users {
		if seen[u.ID] { // a user created during the listing can shift a page
			continue
		}
		seen[u.ID] = true
		rec := u.record()
		rec.GroupIds = memberships[u.ID]
		slices.Sort(rec.GroupIds)
		rec.GroupIds = slices.Compact(rec.GroupIds)
		out = append(out, rec)
	}
	providers.ProgressFrom(ctx).Read(len(out), len(groups))
	return &providers.Result{Full: true, Users: out, Groups: groups}, nil
}

// memberships returns each user's direct group ids by user id: the user's group_id, or its
// role_ids — from the user listing when it carries them, else from each role's user list.
// Ids of groups that are not among groups (created after the group read) are dropped.
func (p *provider) memberships(ctx context.Context, users []oneloginUser, groups []*dirsyncv1.Group) (map[int64][]string, error) {
	known := make(map[string]bool, len(groups))
	for _, g := range groups {
		known[g.GetId()] = true
	}
	out := make(map[int64][]string, len(users))
	add := func(user int64, group string) {
		if known[group] {
			out[user] = append(out[user], group)
		}
	}
	if p.groupSource == sourceGroups {
		for _, u := range users {
			if u.GroupID != nil {
				add(u.ID, strconv.FormatInt(*u.GroupID, 10))
			}
		}
		return out, nil
	}
	if slices.ContainsFunc(users, func(u oneloginUser) bool { return u.RoleIDs == nil }) {
		members, err := p.roleMembers(ctx, groups)
		if err != nil {
			return nil, err
		}
		for i, ids := range members {
			for _, u := range ids {
				add(u, groups[i].GetId())
			}
		}
		return out, nil
	}
	for _, u := range users {
		for _, r := range *u.RoleIDs {
			add(u.ID, strconv.FormatInt(r, 10))
		}
	}
	return out, nil
}
