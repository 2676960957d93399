// Package entra is the `entra` provider: it reads the users and groups of a Microsoft Entra
// ID tenant from Microsoft Graph's delta queries (/users/delta, /groups/delta and, when
// enabled, /servicePrincipals/delta). It owns the Graph wire format, the client-credentials
// authentication (client secret or certificate), the delta rounds and the directory state
// carried in its cursor between rounds. It never writes to Entra.
package entra

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"golang.org/x/oauth2"

	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/apiclient"
)

// Options configures an Entra directory. The tags are its schema.
type Options struct {
	TenantID                 string `yaml:"tenant_id" required:"true" desc:"Directory (tenant) ID of the Entra tenant (a GUID, or a verified domain such as contoso.onmicrosoft.com)"`
	ClientID                 string `yaml:"client_id" required:"true" desc:"Application (client) ID of the app registration dirsync signs in as"`
	ClientSecret             string `yaml:"client_secret" secret:"true" desc:"client secret of the app registration (give this or client_certificate with client_certificate_key)"`
	ClientCertificate        string `yaml:"client_certificate" desc:"PEM certificate uploaded to the app registration, or the path of a PEM file holding it (use with client_certificate_key instead of client_secret)"`
	ClientCertificateKey     string `yaml:"client_certificate_key" secret:"true" desc:"PEM (PKCS #1, PKCS #8 or SEC 1) private key of client_certificate"`
	GraphURL                 string `yaml:"graph_url" default:"https://graph.microsoft.com" desc:"Microsoft Graph root; a national cloud's, e.g. https://graph.microsoft.us or https://microsoftgraph.chinacloudapi.cn"`
	LoginURL                 string `yaml:"login_url" default:"https://login.microsoftonline.com" desc:"Microsoft Entra sign-in root; a national cloud's, e.g. https://login.microsoftonline.us or https://login.chinacloudapi.cn"`
	IncludeServicePrincipals bool   `yaml:"include_service_principals" desc:"also read service principals (applications and managed identities) as users"`
	apiclient.Options        `yaml:",inline"`
}

// Register adds the entra provider type to r.
func Register(r *providers.Registry) {
	providers.Register(r, "entra", "Microsoft Entra ID",
		func(o Options, deps providers.Deps) (providers.Provider, error) { return newProvider(o, deps, nil) })
}

// provider reads one tenant. It keeps no state between Syncs: the state a delta round
// applies to travels in the cursor.
type provider struct {
	client   *apiclient.Client
	graphURL string // without a trailing slash
	withSPs  bool
}

// newProvider checks o and returns its provider; tune, when not nil, adjusts the HTTP
// client's configuration (tests shorten the retry delays).
func newProvider(o Options, deps providers.Deps, tune func(*apiclient.Config)) (*provider, error) {
	graphURL, err := rootURL("graph_url", o.GraphURL, "https://graph.microsoft.com")
	if err != nil {
		return nil, err
	}
	loginURL, err := rootURL("login_url", o.LoginURL, "https://login.microsoftonline.com")
	if err != nil {
		return nil, err
	}
	if o.TenantID == "" || strings.ContainsAny(o.TenantID, "/?#% ") {
		return nil, fmt.Errorf("option %q: must be the tenant's directory id or domain", "tenant_id")
	}
	if o.ClientID == "" {
		return nil, fmt.Errorf("option %q: required", "client_id")
	}
	tokenURL := loginURL + "/" + url.PathEscape(o.TenantID) + "/oauth2/v2.0/token"
	// The scope names the Graph the token is for: national clouds have their own.
	scopes := []string{graphURL + "/.default"}
	fetch, err := credentials(o, tokenURL, scopes)
	if err != nil {
		return nil, err
	}
	cfg := o.Options.Config(deps.Directory, graphURL+"/v1.0/")
	cfg.Auth = apiclient.OAuth2(fetch)
	if tune != nil {
		tune(&cfg)
	}
	client, err := apiclient.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("option %q: %w", "graph_url", err)
	}
	return &provider{client: client, graphURL: graphURL, withSPs: o.IncludeServicePrincipals}, nil
}

// credentials returns the token source of the one credential form o gives: a client
// secret sent in the token request's form body, or a certificate's key signing a client
// assertion whose x5t header names the certificate.
func credentials(o Options, tokenURL string, scopes []string) (apiclient.TokenFunc, error) {
	hasCert := o.ClientCertificate != "" || o.ClientCertificateKey != ""
	switch {
	case o.ClientSecret != "" && hasCert:
		return nil, errors.New(`options "client_secret" and "client_certificate": give one credential, not both`)
	case o.ClientSecret != "":
		return apiclient.ClientCredentials(tokenURL, o.ClientID, o.ClientSecret, scopes, nil, oauth2.AuthStyleInParams), nil
	case !hasCert:
		return nil, fmt.Errorf("option %q: required, unless client_certificate and client_certificate_key are given", "client_secret")
	case o.ClientCertificate == "":
		return nil, fmt.Errorf("option %q: required with client_certificate_key", "client_certificate")
	case o.ClientCertificateKey == "":
		return nil, fmt.Errorf("option %q: required with client_certificate", "client_certificate_key")
	}
	pemText := o.ClientCertificate
	if !strings.Contains(pemText, "-----BEGIN") {
		b, err := os.ReadFile(pemText)
		if err != nil {
			return nil, fmt.Errorf("option %q: %w", "client_certificate", err)
		}
		pemText = string(b)
	}
	cert, err := apiclient.ParseCertificate(pemText)
	if err != nil {
		return nil, fmt.Errorf("option %q: %w", "client_certificate", err)
	}
	key, _, err := apiclient.ParsePrivateKey(o.ClientCertificateKey)
	if err != nil {
		return nil, fmt.Errorf("option %q: %w", "client_certificate_key", err)
	}
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(cert.PublicKey) {
		return nil, fmt.Errorf("option %q: is not the key of client_certificate", "client_certificate_key")
	}
	return apiclient.PrivateKeyJWT(apiclient.Assertion{TokenURL: tokenURL, ClientID: o.ClientID, Key: key,
		Certificate: cert, Scopes: scopes})
}

// rootURL checks a service root option and returns it without a trailing slash.
func rootURL(option, value, def string) (string, error) {
	if value == "" {
		value = def
	}
	u, err := url.Parse(value)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
		return "", fmt.Errorf("option %q: %q is not an http(s) URL", option, value)
	}
	return strings.TrimRight(value, "/"), nil
}

var _ providers.Provider = (*provider)(nil)

// Sync reads the tenant: with a nil cursor a first delta round of every collection (a
// Full result); otherwise the rounds from the cursor's deltaLinks, applied to the state
// the cursor carries (a delta result, or Unchanged). An expired delta token or a cursor
// from another configuration is providers.ErrCursorExpired.
func (p *provider) Sync(ctx context.Context, cursor []byte) (*providers.Result, error) {
	if cursor == nil {
		return p.full(ctx)
	}
	c, err := decodeCursor(cursor)
	if err != nil {
		return nil, err
	}
	if c.GraphURL != p.graphURL || c.ServicePrincipals != p.withSPs {
		return nil, fmt.Errorf("the cursor was written for another graph_url or include_service_principals: %w", providers.ErrCursorExpired)
	}
	return p.delta(ctx, c, cursor)
}
