// Package ping is the `ping` provider: it reads the users, groups and group nestings of one
// PingOne environment through the PingOne Platform API, authenticated as a worker
// application with the OAuth2 client-credentials grant. It owns the PingOne request
// shapes (HAL pages, the memberOfGroupIDs include, group nestings) and their mapping to
// dirsync records; the HTTP layer (tokens, retries, rate limits, metrics) is apiclient's.
// It never writes to PingOne and never computes transitive membership (the syncer does).
package ping

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/oauth2"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/apiclient"
)

// Options configures a PingOne directory. The tags are its schema.
type Options struct {
	EnvironmentID string `yaml:"environment_id" required:"true" desc:"ID of the PingOne environment to read (Environment > Properties > Environment ID)"`
	ClientID      string `yaml:"client_id" required:"true" desc:"client ID of the PingOne worker application dirsync authenticates as"`
	ClientSecret  string `yaml:"client_secret" required:"true" secret:"true" desc:"client secret of the worker application (token endpoint authentication method Client Secret Basic)"`
	AuthURL       string `yaml:"auth_url" default:"https://auth.pingone.com" desc:"PingOne authentication base URL of the environment's region: https://auth.pingone.com, .eu, .asia or .ca"`
	APIURL        string `yaml:"api_url" default:"https://api.pingone.com" desc:"PingOne Platform API base URL of the environment's region: https://api.pingone.com, .eu, .asia or .ca"`

	apiclient.Options `yaml:",inline"`
}

// Default base URLs (the North America region).
const (
	defaultAuthURL = "https://auth.pingone.com"
	defaultAPIURL  = "https://api.pingone.com"
)

// Register adds the ping provider type to r.
func Register(r *providers.Registry) {
	providers.Register(r, "ping", "PingOne",
		func(o Options, deps providers.Deps) (providers.Provider, error) {
			return newProvider(o, deps.Directory)
		})
}

// provider reads one PingOne environment; every Sync is a full read.
type provider struct {
	client *apiclient.Client
}

// newProvider checks o and returns its provider. tune, if given, adjusts the HTTP client's
// configuration (tests shorten retry delays).
func newProvider(o Options, directory string, tune ...func(*apiclient.Config)) (*provider, error) {
	env := strings.TrimSpace(o.EnvironmentID)
	switch {
	case env == "":
		return nil, fmt.Errorf("option %q: required", "environment_id")
	case strings.ContainsAny(env, "/?#% "):
		return nil, fmt.Errorf("option %q: %q is not a PingOne environment ID", "environment_id", env)
	case o.ClientID == "":
		return nil, fmt.Errorf("option %q: required", "client_id")
	case o.ClientSecret == "":
		return nil, fmt.Errorf("option %q: required", "client_secret")
	}
	authURL, err := baseURL("auth_url", o.AuthURL, defaultAuthURL)
	if err != nil {
		return nil, err
	}
	apiURL, err := baseURL("api_url", o.APIURL, defaultAPIURL)
	if err != nil {
		return nil, err
	}
	cfg := o.Options.Config(directory, apiURL+"/v1/environments/"+env+"/")
	// A worker application authenticates at the token endpoint with Client Secret Basic
	// unless its configuration was changed.
	cfg.Auth = apiclient.OAuth2(apiclient.ClientCredentials(authURL+"/"+env+"/as/token",
		o.ClientID, o.ClientSecret, nil, nil, oauth2.AuthStyleInHeader))
	for _, f := range tune {
		f(&cfg)
	}
	c, err := apiclient.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("option %q: %w", "api_url", err)
	}
	return &provider{client: c}, nil
}

// baseURL returns the option's value (or def) as an absolute http(s) URL without a
// trailing slash.
func baseURL(option, value, def string) (string, error) {
	if value == "" {
		value = def
	}
	u, err := url.Parse(value)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
		return "", fmt.Errorf("option %q: %q is not an absolute https URL", option, value)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// Sync reads the whole environment: the groups, each group's parent groups, and the users
// with their direct group ids. Any failed page fails the Sync; the result is always Full.
func (p *provider) Sync(ctx context.Context, _ []byte) (*providers.Result, error) {
	groups, err := p.groups(ctx)
	if err != nil {
		return nil, err
	}
	known := make(map[string]bool, len(groups))
	for _, g := range groups {
		known[g.GetId()] = true
	}
	if err := p.nestings(ctx, groups, known); err != nil {
		return nil, err
	}
	users, err := p.users(ctx, known)
	if err != nil {
		return nil, err
	}
	providers.ProgressFrom(ctx).Read(len(users), len(groups))
	return &providers.Result{Full: true, Users: users, Groups: groups}, nil
}

// Page sizes: the largest each listing accepts. PingOne may return fewer users than asked
// per page; pagination follows _links.next regardless.
const (
	userPageSize  = 200
	groupPageSize = 1000
)

// users lists every user with the ids of the groups it is a direct member of, keeping
// only ids of groups in known (a group created during the Sync shows up in the next one).
func (p *provider) users(ctx context.Context, known map[string]bool) ([]*dirsyncv1.User, error) {
	var out []*dirsyncv1.User
	first := fmt.Sprintf("users?limit=%d&include=memberOfGroupIDs", userPageSize)
	// The include is set on every next link too: without it a page's users come without
	// their groups, which would read as every membership removed.
	next := func(_ *apiclient.Response, pg *userPage) string {
		if pg.nextURL() == "" {
			return ""
		}
		return apiclient.WithQuery(pg.nextURL(), "include", "memberOfGroupIDs")
	}
	err := apiclient.Pages(ctx, p.client, "users", first, next, func(pg *userPage) error {
		for _, u := range pg.Embedded.Users {
			if u.ID == "" {
				return fmt.Errorf("users: a user has no id")
			}
			out = append(out, u.record(known))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b *dirsyncv1.User) int { return strings.Compare(a.GetId(), b.GetId()) })
	return out, nil
}

// groups lists every group.
func (p *provider) groups(ctx context.Context) ([]*dirsyncv1.Group, error) {
	var out []*dirsyncv1.Group
	first := fmt.Sprintf("groups?limit=%d", groupPageSize)
	err := apiclient.Pages(ctx, p.client, "groups", first, nextHref[groupPage], func(pg *groupPage) error {
		for _, g := range pg.Embedded.Groups {
			if g.ID == "" {
				return fmt.Errorf("groups: a group has no id")
			}
			out = append(out, g.record())
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b *dirsyncv1.Group) int { return strings.Compare(a.GetId(), b.GetId()) })
	return out, nil
}

// nestings sets each group's group_ids to the groups it is nested in. PingOne lists a
// group's parents only per group (GET groups/{id}/memberOfGroups): one listing per group,
// run with the client's concurrency.
func (p *provider) nestings(ctx context.Context, groups []*dirsyncv1.Group, known map[string]bool) error {
	return apiclient.ForEach(ctx, p.client, len(groups), func(ctx context.Context, i int) error {
		g := groups[i]
		first := fmt.Sprintf("groups/%s/memberOfGroups?limit=%d", url.PathEscape(g.GetId()), groupPageSize)
		var parents []string
		err := apiclient.Pages(ctx, p.client, "group nestings", first, nextHref[nestingPage], func(pg *nestingPage) error {
			for _, id := range pg.parentIDs() {
				if known[id] {
					parents = append(parents, id)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		slices.Sort(parents)
		g.GroupIds = slices.Compact(parents)
		return nil
	})
}
