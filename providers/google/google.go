// Package google is the `google` provider: it reads the users, groups and group memberships
// of a Google Workspace (or Cloud Identity) account through the Admin SDK Directory API,
// authenticated as a service account with domain-wide delegation that impersonates an
// administrator. Google offers no change feed for groups, so every Sync reads the whole
// directory and returns a Full result; any failed page fails the whole Sync. It only reads.
package google

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/apiclient"
)

// Options configures a Google Workspace directory. The tags are its schema.
type Options struct {
	ServiceAccountKey string `yaml:"service_account_key" required:"true" secret:"true" desc:"the service account's JSON key (as downloaded from the Google Cloud console); the service account needs domain-wide delegation of the directory read-only scopes"`
	ImpersonateUser   string `yaml:"impersonate_user" required:"true" desc:"email of a Workspace administrator (or a user with a role that may read users and groups) the service account acts as"`
	Customer          string `yaml:"customer" default:"my_customer" desc:"Workspace customer ID (C0…) whose users and groups are read; my_customer is the impersonated administrator's own account"`
	Domain            string `yaml:"domain" desc:"read only the users and groups of this one domain of the account instead of the whole customer"`
	APIURL            string `yaml:"api_url" default:"https://admin.googleapis.com" desc:"Admin SDK API root"`
	TokenURL          string `yaml:"token_url" desc:"OAuth2 token endpoint; default: the key's token_uri"`

	apiclient.Options `yaml:",inline"`
}

// scopes are the OAuth2 scopes the service account asks for; an administrator grants
// exactly these to its client ID under domain-wide delegation.
var scopes = []string{
	"https://www.googleapis.com/auth/admin.directory.user.readonly",
	"https://www.googleapis.com/auth/admin.directory.group.readonly",
}

// Register adds the google provider type to r.
func Register(r *providers.Registry) {
	providers.Register(r, "google", "Google Workspace",
		func(o Options, deps providers.Deps) (providers.Provider, error) {
			return newProvider(o, deps.Directory, nil)
		})
}

// provider reads one Google Workspace account.
type provider struct {
	client *apiclient.Client
	// scope is the query selecting the account's users and groups: customer=… or domain=….
	scope url.Values
}

// newProvider checks o and returns its provider. tune, when set, adjusts the HTTP client's
// configuration (tests shorten the retry delays).
func newProvider(o Options, directory string, tune func(*apiclient.Config)) (*provider, error) {
	if err := checkKey(o.ServiceAccountKey); err != nil {
		return nil, fmt.Errorf("option %q: %w", "service_account_key", err)
	}
	if o.ImpersonateUser = strings.TrimSpace(o.ImpersonateUser); !strings.Contains(o.ImpersonateUser, "@") {
		return nil, fmt.Errorf("option %q: %q is not an email address", "impersonate_user", o.ImpersonateUser)
	}
	if err := checkURL(o.APIURL); err != nil {
		return nil, fmt.Errorf("option %q: %w", "api_url", err)
	}
	if o.TokenURL != "" {
		if err := checkURL(o.TokenURL); err != nil {
			return nil, fmt.Errorf("option %q: %w", "token_url", err)
		}
	}
	scope := url.Values{}
	switch {
	case o.Domain != "":
		scope.Set("domain", o.Domain)
	case o.Customer != "":
		scope.Set("customer", o.Customer)
	default:
		return nil, fmt.Errorf("option %q: required unless %q is set", "customer", "domain")
	}
	fetch, err := apiclient.ServiceAccount([]byte(o.ServiceAccountKey), o.ImpersonateUser, o.TokenURL, scopes...)
	if err != nil {
		return nil, fmt.Errorf("option %q: %w", "service_account_key", err)
	}
	cfg := o.Options.Config(directory, o.APIURL)
	cfg.Auth = apiclient.OAuth2(fetch)
	cfg.Throttled = throttled
	if tune != nil {
		tune(&cfg)
	}
	c, err := apiclient.New(cfg)
	if err != nil {
		return nil, err
	}
	return &provider{client: c, scope: scope}, nil
}

// checkKey checks that key is a service account's JSON key with a usable private key,
// without ever quoting it.
func checkKey(key string) error {
	var k struct {
		Type        string `json:"type"`
		ClientEmail string `json:"client_email"`
		PrivateKey  string `json:"private_key"`
	}
	if err := json.Unmarshal([]byte(key), &k); err != nil {
		return errors.New("not a JSON service account key")
	}
	switch {
	case k.Type != "service_account":
		return errors.New(`not a service account key (its "type" is not "service_account")`)
	case k.ClientEmail == "":
		return errors.New(`the key has no "client_email"`)
	case k.PrivateKey == "":
		return errors.New(`the key has no "private_key"`)
	}
	signer, _, err := apiclient.ParsePrivateKey(k.PrivateKey)
	if err != nil {
		return errors.New(`the key's "private_key" is not a PEM private key`)
	}
	if _, ok := signer.(*rsa.PrivateKey); !ok {
		return errors.New(`the key's "private_key" is not an RSA key (Google signs with RS256)`)
	}
	return nil
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", s)
	}
	return nil
}

// Sync reads every user, group and group membership. The user listing runs beside the
// group listing and its member fan-out. The result is always Full and carries no cursor:
// the Directory API has no change feed for groups.
func (p *provider) Sync(ctx context.Context, _ []byte) (*providers.Result, error) {
	var (
		users   []apiUser
		groups  []apiGroup
		members [][]apiMember
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		users, err = p.listUsers(gctx)
		return err
	})
	g.Go(func() (err error) {
		if groups, err = p.listGroups(gctx); err != nil {
			return err
		}
		members = make([][]apiMember, len(groups))
		return apiclient.ForEach(gctx, p.client, len(groups), func(ctx context.Context, i int) (err error) {
			members[i], err = p.listMembers(ctx, groups[i].ID)
			return err
		})
	})
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("google: %w", err)
	}
	us, gs := assemble(users, groups, members)
	providers.ProgressFrom(ctx).Read(len(us), len(gs))
	return &providers.Result{Full: true, Users: us, Groups: gs}, nil
}
