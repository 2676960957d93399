package pomerium

import (
	"context"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"
)

// TestToken: the `jwt` metadata is an HS256 token whose only claim is exp (an hour ahead),
// signed with the key; it is reused until half its lifetime has passed.
func TestToken(t *testing.T) {
	key := newKey(t)
	now := time.Unix(1_800_000_000, 0)
	c := &jwtCredentials{key: key, now: func() time.Time { return now }}
	md, err := c.GetRequestMetadata(context.Background())
	require.NoError(t, err)
	first := md["jwt"]
	claims := jwt.MapClaims{}
	tok, err := jwt.ParseWithClaims(first, claims, func(*jwt.Token) (any, error) { return key, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(func() time.Time { return now }))
	require.NoError(t, err)
	require.True(t, tok.Valid)
	require.Equal(t, jwt.MapClaims{"exp": float64(now.Add(time.Hour).Unix())}, claims)
	_, err = jwt.Parse(first, func(*jwt.Token) (any, error) { return newKey(t), nil })
	require.Error(t, err, "another key does not verify it")

	now = now.Add(29 * time.Minute)
	md, err = c.GetRequestMetadata(context.Background())
	require.NoError(t, err)
	require.Equal(t, first, md["jwt"], "reused")
	now = now.Add(2 * time.Minute)
	md, err = c.GetRequestMetadata(context.Background())
	require.NoError(t, err)
	require.NotEqual(t, first, md["jwt"], "re-signed past half its lifetime")
}
