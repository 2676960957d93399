// Package gitlab is the `gitlab` provider: it reads the groups, subgroups and direct group
// members of GitLab (gitlab.com or a self-managed instance) through the REST API v4. Users
// are the members of the synced groups; groups are GitLab groups and subgroups. It owns the
// listing, pagination and the translation of GitLab's inheritance (members of a group are
// members of all its subgroups) into dirsync's group→group edges; it never writes to
// GitLab.
package gitlab

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/apiclient"
)

// Options configures a gitlab directory. The tags are its schema.
type Options struct {
	Token  string   `yaml:"token" required:"true" secret:"true" desc:"personal, group or project access token with the read_api scope (sent as PRIVATE-TOKEN)"`
	URL    string   `yaml:"url" default:"https://gitlab.com" desc:"GitLab instance URL: https://gitlab.com or a self-managed instance such as https://gitlab.example.com"`
	Groups []string `yaml:"groups" desc:"top-level group paths or numeric ids to sync with all their subgroups; default: every group the token's user is a member of"`

	apiclient.Options `yaml:",inline"`
}

// Register adds the gitlab provider type to r.
func Register(r *providers.Registry) {
	providers.Register(r, "gitlab", "GitLab groups and subgroups",
		func(o Options, deps providers.Deps) (providers.Provider, error) { return newProvider(o, deps, nil) })
}

// provider reads the configured groups on each Sync.
type provider struct {
	client *apiclient.Client
	groups []string // empty: every group listed by GET /groups
}

// rateLimitHeaders are GitLab's rate-limit headers; RateLimit-Reset is a Unix time.
var rateLimitHeaders = apiclient.RateLimitHeaders{Remaining: "RateLimit-Remaining", Reset: "RateLimit-Reset"}

// newProvider checks o and returns its provider. tune, when set, adjusts the HTTP client's
// configuration (tests shorten retry delays).
func newProvider(o Options, deps providers.Deps, tune func(*apiclient.Config)) (*provider, error) {
	if o.Token == "" {
		return nil, fmt.Errorf("option %q: required", "token")
	}
	base, err := url.Parse(o.URL)
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" || base.RawQuery != "" {
		return nil, fmt.Errorf("option %q: %q is not an absolute http(s) URL of a GitLab instance", "url", o.URL)
	}
	if p := strings.TrimSuffix(base.Path, "/"); strings.HasSuffix(p, "/api/v4") {
		return nil, fmt.Errorf("option %q: give the instance URL without /api/v4 (e.g. %s://%s)", "url", base.Scheme, base.Host)
	}
	base.Path = strings.TrimSuffix(base.Path, "/") + "/api/v4/"
	var groups []string
	for _, g := range o.Groups {
		g = strings.Trim(g, "/")
		if g == "" {
			return nil, fmt.Errorf("option %q: an empty group path", "groups")
		}
		if !slices.Contains(groups, g) {
			groups = append(groups, g)
		}
	}
	cfg := o.Options.Config(deps.Directory, base.String())
	cfg.Auth = apiclient.Header("PRIVATE-TOKEN", o.Token)
	cfg.Limits = &rateLimitHeaders
	if tune != nil {
		tune(&cfg)
	}
	client, err := apiclient.New(cfg)
	if err != nil {
		return nil, err
	}
	return &provider{client: client, groups: groups}, nil
}

// Sync lists the groups, reads each group's direct members, and returns a Full result;
// any failed request fails the whole Sync. GitLab has no change feed for memberships, so
// cursor is ignored.
func (p *provider) Sync(ctx context.Context, _ []byte) (*providers.Result, error) {
	groups, err := p.listGroups(ctx)
	if err != nil {
		return nil, err
	}
	if len(groups) == 0 {
		return nil, errors.New("groups: the token sees no group; give it the read_api scope and membership of the groups to sync, or set option \"groups\"")
	}
	members := make([][]member, len(groups))
	err = apiclient.ForEach(ctx, p.client, len(groups), func(ctx context.Context, i int) error {
		var err error
		members[i], err = p.listMembers(ctx, groups[i])
		return err
	})
	if err != nil {
		return nil, err
	}
	users, recs := records(groups, members)
	providers.ProgressFrom(ctx).Read(len(users), len(recs))
	return &providers.Result{Full: true, Users: users, Groups: recs}, nil
}
