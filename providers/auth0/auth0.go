// Package auth0 is the `auth0` provider: it reads the users of an Auth0 tenant and, as
// groups, either its roles or its organizations, through the Management API v2 with a
// machine-to-machine application's client credentials. It owns choosing how users are read
// (the paged listing while the tenant is small enough for it, a user-export job beyond the
// listing's 1,000-result limit) and turning Auth0 objects into dirsync records. It only
// reads; every request goes through providers/apiclient.
package auth0

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/sync/errgroup"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/apiclient"
)

// Options configures an Auth0 directory. The tags are its schema.
type Options struct {
	Domain       string `yaml:"domain" required:"true" desc:"the tenant's domain, e.g. example.us.auth0.com (the Management API is https://DOMAIN/api/v2/)"`
	ClientID     string `yaml:"client_id" required:"true" desc:"client id of the machine-to-machine application authorized for the Auth0 Management API"`
	ClientSecret string `yaml:"client_secret" required:"true" secret:"true" desc:"client secret of that application"`
	GroupSource  string `yaml:"group_source" default:"roles" desc:"what becomes dirsync groups: roles (RBAC roles and their users) or organizations (organizations and their members)"`
	APIURL       string `yaml:"api_url" desc:"base URL of the Management API and token endpoint instead of https://DOMAIN (a proxy or a test server); the token audience stays https://DOMAIN/api/v2/"`

	apiclient.Options `yaml:",inline"`
}

// Register adds the auth0 provider type to r.
func Register(r *providers.Registry) {
	providers.Register(r, "auth0", "Auth0",
		func(o Options, deps providers.Deps) (providers.Provider, error) {
			return newProvider(o, deps, tuning{})
		})
}

// Group sources.
const (
	sourceRoles         = "roles"
	sourceOrganizations = "organizations"
)

// tuning holds what tests change; zero values mean production defaults.
type tuning struct {
	// minRetryDelay is apiclient's first backoff.
	minRetryDelay time.Duration
	// pageSize is per_page and take (default and Auth0's maximum: 100).
	pageSize int
	// listLimit is how many users the paged listing can reach (Auth0: 1,000).
	listLimit int
	// pollInterval is the first wait between export-job status polls (default 1s; it
	// doubles up to maxPollInterval).
	pollInterval time.Duration
}

const maxPollInterval = 15 * time.Second

// provider reads one Auth0 tenant.
type provider struct {
	client      *apiclient.Client
	groupSource string
	tuning
}

// newProvider checks o and returns its provider. Errors name the option, never a secret.
func newProvider(o Options, deps providers.Deps, t tuning) (*provider, error) {
	domain := strings.TrimSpace(o.Domain)
	if domain == "" || strings.Contains(domain, "/") || strings.Contains(domain, ":") {
		return nil, fmt.Errorf("option %q: %q is not a host name; give the tenant's domain, e.g. example.us.auth0.com, without https:// or a path", "domain", o.Domain)
	}
	switch {
	case o.ClientID == "":
		return nil, fmt.Errorf("option %q: required", "client_id")
	case o.ClientSecret == "":
		return nil, fmt.Errorf("option %q: required", "client_secret")
	}
	source := o.GroupSource
	if source == "" {
		source = sourceRoles
	}
	if source != sourceRoles && source != sourceOrganizations {
		return nil, fmt.Errorf("option %q: %q is not roles or organizations", "group_source", o.GroupSource)
	}
	base := "https://" + domain
	if o.APIURL != "" {
		u, err := url.Parse(o.APIURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("option %q: %q is not an http(s) URL", "api_url", o.APIURL)
		}
		base = strings.TrimSuffix(o.APIURL, "/")
	}
	if t.pageSize <= 0 {
		t.pageSize = 100
	}
	if t.listLimit <= 0 {
		t.listLimit = 1000
	}
	if t.pollInterval <= 0 {
		t.pollInterval = time.Second
	}
	cfg := o.Options.Config(deps.Directory, base+"/api/v2/")
	cfg.Auth = apiclient.OAuth2(apiclient.ClientCredentials(base+"/oauth/token", o.ClientID, o.ClientSecret, nil,
		url.Values{"audience": {"https://" + domain + "/api/v2/"}}, oauth2.AuthStyleInParams))
	cfg.Limits = &apiclient.RateLimitHeaders{Remaining: "X-RateLimit-Remaining", Reset: "X-RateLimit-Reset"}
	cfg.MinRetryDelay = t.minRetryDelay
	client, err := apiclient.New(cfg)
	if err != nil {
		return nil, err
	}
	return &provider{client: client, groupSource: source, tuning: t}, nil
}

// Sync reads every user and group of the tenant; the result is always Full. Users and
// groups are read concurrently; any failed request fails the whole Sync.
func (p *provider) Sync(ctx context.Context, _ []byte) (*providers.Result, error) {
	var (
		users  []*dirsyncv1.User
		groups []groupWithMembers
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		users, err = p.readUsers(gctx)
		return err
	})
	g.Go(func() (err error) {
		if p.groupSource == sourceOrganizations {
			groups, err = p.readOrganizations(gctx)
		} else {
			groups, err = p.readRoles(gctx)
		}
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	res := assemble(users, groups)
	providers.ProgressFrom(ctx).Read(len(res.Users), len(res.Groups))
	return res, nil
}

// groupWithMembers is one role or organization and the user ids of its direct members.
type groupWithMembers struct {
	group   *dirsyncv1.Group
	members []string
}

// assemble gives each user the sorted ids of the groups listing it as a member. Members
// that are not among the users (created after the user read) are left for the next run.
func assemble(users []*dirsyncv1.User, groups []groupWithMembers) *providers.Result {
	byID := make(map[string]*dirsyncv1.User, len(users))
	for _, u := range users {
		byID[u.GetId()] = u
	}
	out := make([]*dirsyncv1.Group, 0, len(groups))
	for _, g := range groups {
		out = append(out, g.group)
		for _, m := range g.members {
			if u, ok := byID[m]; ok {
				u.GroupIds = append(u.GroupIds, g.group.GetId())
			}
		}
	}
	for _, u := range users {
		slices.Sort(u.GroupIds)
		u.GroupIds = slices.Compact(u.GroupIds)
	}
	return &providers.Result{Full: true, Users: users, Groups: out}
}
