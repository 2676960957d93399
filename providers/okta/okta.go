// Package okta is the `okta` provider: it reads the users, groups and direct group
// memberships of an Okta org through the Okta management API (/api/v1), authenticated by
// an API token (SSWS) or an OAuth 2.0 service app (private-key JWT).
//
// A run without cursor lists everything (users, groups, then each group's members). A run
// with cursor asks only for what changed since the cursor's watermarks (users and groups
// whose lastUpdated or lastMembershipUpdated is newer) and re-reads the members of the
// groups whose membership changed. Deleted objects do not show in Okta's filtered lists:
// they are caught by deactivation (a user's status turning DEPROVISIONED), by a 404 on a
// member read, by a member lookup that no longer finds a removed user, and by the syncer's
// periodic full sync.
//
// The package owns the Okta API shapes and the membership index that makes deltas whole
// (see membership; a process that does not hold it rebuilds it from the stored users); it
// never writes to Okta and never logs credentials.
package okta

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/apiclient"
)

// Options configures an Okta directory. The tags are its schema.
type Options struct {
	URL        string `yaml:"url" required:"true" desc:"Okta org URL, e.g. https://example.okta.com (no /oauth2 or /api path)"`
	APIToken   string `yaml:"api_token" secret:"true" desc:"API token (sent as 'Authorization: SSWS <token>'); give this or client_id and private_key"`
	ClientID   string `yaml:"client_id" desc:"client ID of an OAuth 2.0 API service app granted okta.users.read and okta.groups.read"`
	PrivateKey string `yaml:"private_key" secret:"true" desc:"the service app's private key, PEM (PKCS #1, PKCS #8, SEC 1) or JWK; its public key is registered in the app"`
	KeyID      string `yaml:"key_id" desc:"key ID (kid) of the service app's public key; default: the JWK's kid (a PEM key has none)"`

	apiclient.Options `yaml:",inline"`
}

// Register adds the okta provider type to r.
func Register(r *providers.Registry) {
	providers.Register(r, "okta", "Okta",
		func(o Options, deps providers.Deps) (providers.Provider, error) { return newProvider(o, deps, nil) })
}

// scopes are the OAuth 2.0 scopes a service app needs: read-only users and groups.
var scopes = []string{"okta.users.read", "okta.groups.read"}

// pageSize is the largest page Okta serves for users, groups and group members.
const pageSize = 200

// provider reads one Okta org. Sync calls are serialized.
type provider struct {
	client *apiclient.Client
	run    sync.Mutex // one Sync at a time: the membership index is per run
	mem    memory
}

// newProvider checks o and returns its provider. tune, when set, adjusts the HTTP client's
// configuration (tests: short retry delays).
func newProvider(o Options, deps providers.Deps, tune func(*apiclient.Config)) (*provider, error) {
	base, err := orgURL(o.URL)
	if err != nil {
		return nil, fmt.Errorf("option %q: %w", "url", err)
	}
	auth, err := authFor(o, base)
	if err != nil {
		return nil, err
	}
	cfg := o.Options.Config(deps.Directory, base)
	cfg.Auth = auth
	cfg.Limits = &apiclient.RateLimitHeaders{Remaining: "X-Rate-Limit-Remaining", Reset: "X-Rate-Limit-Reset"}
	if tune != nil {
		tune(&cfg)
	}
	c, err := apiclient.New(cfg)
	if err != nil {
		return nil, err
	}
	return &provider{client: c}, nil
}

// orgURL checks an Okta org URL and returns it with a trailing slash. Plain http is
// accepted only for loopback hosts (a local fake): credentials never cross a network in
// clear.
func orgURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", errors.New("must be an absolute https URL such as https://example.okta.com")
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return "", errors.New("must use https (http is accepted only for localhost)")
	}
	if u.RawQuery != "" || u.Fragment != "" || strings.Contains(u.Path, "/api/") || strings.Contains(u.Path, "/oauth2") {
		return "", errors.New("must be the org URL alone, such as https://example.okta.com")
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/"
	return u.String(), nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Sync reads the whole org when cursor is nil, else the changes since cursor. The
// membership index of a cursor this process does not hold (the first run after a start,
// or after another replica synced) is rebuilt from the stored users; when that is not
// possible, Sync gives providers.ErrCursorExpired and the syncer runs a full sync at once.
func (p *provider) Sync(ctx context.Context, cursor []byte) (*providers.Result, error) {
	p.run.Lock()
	defer p.run.Unlock()
	if cursor == nil {
		return p.full(ctx)
	}
	c, err := decodeCursor(cursor)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", providers.ErrCursorExpired, err)
	}
	base := p.mem.at(c.Gen)
	if base == nil {
		if base, err = indexFromStore(ctx, c.Gen); err != nil {
			return nil, fmt.Errorf("%w: %v", providers.ErrCursorExpired, err)
		}
		p.mem.adopt(base)
	}
	return p.delta(ctx, c, base)
}

// since is how far before a watermark a delta looks again: Okta's timestamps are set by
// many servers, and a change committed just before a listing may become visible just
// after it. Reading an object again is harmless (the syncer drops unchanged records).
const overlap = time.Minute
