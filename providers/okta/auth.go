package okta

import (
	"errors"
	"fmt"

	"github.com/dirsync/dirsync/providers/apiclient"
)

// authFor returns the authentication the options configure: exactly one of an API token
// ("Authorization: SSWS <token>") or a service app's private-key JWT client credentials
// ("Authorization: Bearer <access token>" from {url}/oauth2/v1/token). Errors name the
// options, never a value.
func authFor(o Options, base string) (apiclient.Auth, error) {
	token, app := o.APIToken != "", o.ClientID != "" || o.PrivateKey != ""
	switch {
	case token && app:
		return nil, errors.New(`options "api_token" and "client_id"/"private_key": give one way to authenticate, not both`)
	case token && o.KeyID != "":
		return nil, errors.New(`option "key_id": only used with "client_id" and "private_key", not with "api_token"`)
	case token:
		return apiclient.Header("Authorization", "SSWS "+o.APIToken), nil
	case !app:
		return nil, errors.New(`give option "api_token", or options "client_id" and "private_key" (an OAuth 2.0 service app)`)
	case o.ClientID == "":
		return nil, errors.New(`option "client_id": required with "private_key"`)
	case o.PrivateKey == "":
		return nil, errors.New(`option "private_key": required with "client_id"`)
	}
	key, kid, err := apiclient.ParsePrivateKey(o.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("option %q: %w", "private_key", err)
	}
	if o.KeyID != "" {
		kid = o.KeyID
	}
	fetch, err := apiclient.PrivateKeyJWT(apiclient.Assertion{TokenURL: base + "oauth2/v1/token", ClientID: o.ClientID,
		Key: key, KeyID: kid, Scopes: scopes})
	if err != nil {
		return nil, fmt.Errorf("option %q: %w", "private_key", err)
	}
	return apiclient.OAuth2(fetch), nil
}
