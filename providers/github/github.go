// Package github is the `github` provider: it reads the members and teams of one or more
// GitHub organizations (github.com or GitHub Enterprise Server) through the GraphQL API,
// with the REST API only to list the organizations visible to the token when none are
// configured. Users are organization members, groups are teams, and a child team is a
// member of its parent team (GitHub counts a child team's members as members of the
// parent). It owns the queries, their pagination and the translation of GitHub's answers
// (including GraphQL errors and secondary rate limits) into records or errors; it never
// writes to GitHub.
package github

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/apiclient"
)

// Options configures a github directory. The tags are its schema.
type Options struct {
	Token           string   `yaml:"token" required:"true" secret:"true" desc:"personal access token (classic with read:org, or fine-grained with organization Members: read) or GitHub App installation token"`
	Orgs            []string `yaml:"orgs" desc:"organization logins to sync; default: every organization the token's user belongs to (GET /user/orgs)"`
	APIURL          string   `yaml:"api_url" default:"https://api.github.com" desc:"REST API root: https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server (GraphQL is then https://HOST/api/graphql)"`
	UserIDAttribute string   `yaml:"user_id_attribute" default:"login" desc:"what identifies users and teams: login (user login, team org/slug) or node_id (GraphQL node ids of users and teams)"`

	apiclient.Options `yaml:",inline"`
}

// Register adds the github provider type to r.
func Register(r *providers.Registry) {
	providers.Register(r, "github", "GitHub organizations and teams",
		func(o Options, deps providers.Deps) (providers.Provider, error) { return newProvider(o, deps, nil) })
}

// idAttribute selects the ids of records.
type idAttribute string

const (
	idLogin  idAttribute = "login"
	idNodeID idAttribute = "node_id"
)

// provider reads the configured organizations on each Sync.
type provider struct {
	client     *apiclient.Client
	graphqlURL string
	orgs       []string // empty: list them with GET /user/orgs
	ids        idAttribute
}

// loginPattern is what GitHub allows in an organization login.
var loginPattern = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$`)

// newProvider checks o and returns its provider. tune, when set, adjusts the HTTP client's
// configuration (tests shorten retry delays).
func newProvider(o Options, deps providers.Deps, tune func(*apiclient.Config)) (*provider, error) {
	api, err := url.Parse(o.APIURL)
	if err != nil || (api.Scheme != "https" && api.Scheme != "http") || api.Host == "" {
		return nil, fmt.Errorf("option %q: %q is not an absolute http(s) URL", "api_url", o.APIURL)
	}
	ids := idAttribute(o.UserIDAttribute)
	switch ids {
	case "":
		ids = idLogin
	case idLogin, idNodeID:
	default:
		return nil, fmt.Errorf("option %q: %q is not login or node_id", "user_id_attribute", o.UserIDAttribute)
	}
	if o.Token == "" {
		return nil, fmt.Errorf("option %q: required", "token")
	}
	var orgs []string
	for _, org := range o.Orgs {
		if !loginPattern.MatchString(org) {
			return nil, fmt.Errorf("option %q: %q is not an organization login", "orgs", org)
		}
		if !slices.Contains(orgs, org) {
			orgs = append(orgs, org)
		}
	}
	cfg := o.Options.Config(deps.Directory, api.String())
	cfg.Auth = apiclient.Header("Authorization", "Bearer "+o.Token)
	cfg.Limits = &rateLimitHeaders
	cfg.Throttled = throttled
	if tune != nil {
		tune(&cfg)
	}
	client, err := apiclient.New(cfg)
	if err != nil {
		return nil, err
	}
	return &provider{client: client, graphqlURL: graphqlURL(api), orgs: orgs, ids: ids}, nil
}

// graphqlURL is the GraphQL endpoint beside the REST root api: https://api.github.com/graphql,
// or https://HOST/api/graphql for GitHub Enterprise Server's https://HOST/api/v3.
func graphqlURL(api *url.URL) string {
	u := *api
	p := strings.TrimSuffix(u.Path, "/")
	if rest, ok := strings.CutSuffix(p, "/api/v3"); ok {
		u.Path = rest + "/api/graphql"
	} else {
		u.Path = p + "/graphql"
	}
	u.RawQuery, u.Fragment = "", ""
	return u.String()
}

// Sync reads every configured organization completely and returns a Full result; any
// failed request or GraphQL error fails the whole Sync. GitHub has no change feed for
// memberships, so cursor is ignored.
func (p *provider) Sync(ctx context.Context, _ []byte) (*providers.Result, error) {
	orgs := p.orgs
	if len(orgs) == 0 {
		var err error
		if orgs, err = p.listOrgs(ctx); err != nil {
			return nil, err
		}
	}
	crawled, err := p.crawl(ctx, orgs)
	if err != nil {
		return nil, err
	}
	users, groups := records(crawled, p.ids)
	providers.ProgressFrom(ctx).Read(len(users), len(groups))
	return &providers.Result{Full: true, Users: users, Groups: groups}, nil
}
