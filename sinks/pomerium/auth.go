package pomerium

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// tokenLifetime is how long a signed token is valid; a token is re-signed once less than
// half of it is left.
const tokenLifetime = time.Hour

// jwtCredentials authenticates each call to a Pomerium service the way Pomerium's services
// authenticate one another: the metadata key `jwt` carries an HS256 JWT whose only claim is
// `exp`, signed with the (base64-decoded) shared secret. It implements
// credentials.PerRPCCredentials.
type jwtCredentials struct {
	key []byte
	now func() time.Time

	mu      sync.Mutex
	token   string
	expires time.Time
}

// GetRequestMetadata returns the `jwt` metadata, signing a new token when the cached one is
// past half its lifetime.
func (c *jwtCredentials) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if c.token == "" || now.After(c.expires.Add(-tokenLifetime/2)) {
		exp := now.Add(tokenLifetime)
		tok, err := signToken(c.key, exp)
		if err != nil {
			return nil, err
		}
		c.token, c.expires = tok, exp
	}
	return map[string]string{"jwt": c.token}, nil
}

// RequireTransportSecurity is false: Pomerium's databroker commonly listens in plain gRPC
// inside a private network (databroker_service_url: http://…); the token expires anyway.
func (*jwtCredentials) RequireTransportSecurity() bool { return false }

// signToken returns an HS256 JWT with the single claim exp, signed with key.
func signToken(key []byte, exp time.Time) (string, error) {
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"exp": exp.Unix()}).SignedString(key)
	if err != nil {
		return "", fmt.Errorf("sign the databroker token: %w", err)
	}
	return tok, nil
}
