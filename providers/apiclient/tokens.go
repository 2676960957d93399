package apiclient

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	"golang.org/x/oauth2/google"
)

// ClientCredentials fetches tokens with the OAuth2 client-credentials grant, the client id
// and secret in the form body (style oauth2.AuthStyleInParams) or as HTTP Basic
// (oauth2.AuthStyleInHeader). params are extra form fields (Auth0's audience).
func ClientCredentials(tokenURL, clientID, clientSecret string, scopes []string, params url.Values, style oauth2.AuthStyle) TokenFunc {
	cfg := &clientcredentials.Config{ClientID: clientID, ClientSecret: clientSecret, TokenURL: tokenURL,
		Scopes: scopes, EndpointParams: params, AuthStyle: style}
	return cfg.Token
}

// JSONClientCredentials fetches tokens with the client-credentials grant sent as the JSON
// body {"grant_type":"client_credentials"}, the client authenticated with HTTP Basic — the
// form OneLogin documents (golang.org/x/oauth2 only sends form bodies).
func JSONClientCredentials(tokenURL, clientID, clientSecret string) TokenFunc {
	return func(ctx context.Context) (*oauth2.Token, error) {
		hc, _ := ctx.Value(oauth2.HTTPClient).(*http.Client)
		if hc == nil {
			hc = http.DefaultClient
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL, strings.NewReader(`{"grant_type":"client_credentials"}`))
		if err != nil {
			return nil, err
		}
		req.SetBasicAuth(clientID, clientSecret)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		start := time.Now()
		resp, err := hc.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			return nil, &oauth2.RetrieveError{Response: resp, Body: body}
		}
		var t struct {
			AccessToken string `json:"access_token"`
			ExpiresIn   int64  `json:"expires_in"`
		}
		if err := json.Unmarshal(body, &t); err != nil {
			return nil, fmt.Errorf("decoding the token response: %w", err)
		}
		tok := &oauth2.Token{AccessToken: t.AccessToken, TokenType: "Bearer"}
		if t.ExpiresIn > 0 {
			tok.Expiry = start.Add(time.Duration(t.ExpiresIn) * time.Second)
		}
		return tok, nil
	}
}

// Assertion configures the private-key JWT client authentication of RFC 7523 (Okta service
// apps, Entra certificate credentials): each token request carries a fresh JWT signed by
// the client's key, with iss = sub = client id and aud = the token URL.
type Assertion struct {
	TokenURL string
	ClientID string
	// Key is an *rsa.PrivateKey or *ecdsa.PrivateKey (see ParsePrivateKey).
	Key crypto.Signer
	// KeyID, when set, is sent as the JWT header "kid".
	KeyID string
	// Certificate, when set, identifies the key by its thumbprint (header "x5t", as Entra
	// expects).
	Certificate *x509.Certificate
	Scopes      []string
	Params      url.Values
}

// PrivateKeyJWT fetches tokens by the client-credentials grant authenticated with a
// signed client assertion.
func PrivateKeyJWT(a Assertion) (TokenFunc, error) {
	alg := jose.RS256
	if _, ok := a.Key.(*ecdsa.PrivateKey); ok {
		alg = jose.ES256
	}
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if a.KeyID != "" {
		opts = opts.WithHeader("kid", a.KeyID)
	}
	if a.Certificate != nil {
		sum := sha1.Sum(a.Certificate.Raw) // x5t is the SHA-1 thumbprint (RFC 7515 §4.1.7)
		opts = opts.WithHeader("x5t", base64.RawURLEncoding.EncodeToString(sum[:]))
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: a.Key}, opts)
	if err != nil {
		return nil, fmt.Errorf("private key: %w", err)
	}
	return func(ctx context.Context) (*oauth2.Token, error) {
		now := time.Now()
		var id [16]byte
		_, _ = rand.Read(id[:])
		assertion, err := josejwt.Signed(signer).Claims(josejwt.Claims{
			Issuer: a.ClientID, Subject: a.ClientID, Audience: josejwt.Audience{a.TokenURL},
			IssuedAt: josejwt.NewNumericDate(now), NotBefore: josejwt.NewNumericDate(now.Add(-30 * time.Second)),
			Expiry: josejwt.NewNumericDate(now.Add(5 * time.Minute)), ID: hex.EncodeToString(id[:]),
		}).Serialize()
		if err != nil {
			return nil, fmt.Errorf("signing the client assertion: %w", err)
		}
		params := url.Values{}
		for k, v := range a.Params {
			params[k] = v
		}
		params.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
		params.Set("client_assertion", assertion)
		cfg := &clientcredentials.Config{ClientID: a.ClientID, TokenURL: a.TokenURL, Scopes: a.Scopes,
			EndpointParams: params, AuthStyle: oauth2.AuthStyleInParams}
		return cfg.Token(ctx)
	}, nil
}

// ServiceAccount fetches tokens with a Google service-account key by the JWT-bearer grant,
// impersonating subject (domain-wide delegation). tokenURL overrides the key's token_uri
// when set.
func ServiceAccount(keyJSON []byte, subject, tokenURL string, scopes ...string) (TokenFunc, error) {
	cfg, err := google.JWTConfigFromJSON(keyJSON, scopes...)
	if err != nil {
		return nil, fmt.Errorf("service account key: %w", err)
	}
	cfg.Subject = subject
	if tokenURL != "" {
		cfg.TokenURL = tokenURL
	}
	return func(ctx context.Context) (*oauth2.Token, error) { return cfg.TokenSource(ctx).Token() }, nil
}

// ParsePrivateKey reads an RSA or EC private key given as PEM (PKCS #1, PKCS #8 or SEC 1)
// or as a JWK; keyID is the JWK's "kid" (empty for PEM).
func ParsePrivateKey(s string) (key crypto.Signer, keyID string, err error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "{") {
		var jwk jose.JSONWebKey
		if err := json.Unmarshal([]byte(s), &jwk); err != nil {
			return nil, "", errors.New("not a valid JWK")
		}
		k, ok := jwk.Key.(crypto.Signer)
		if !ok || jwk.IsPublic() {
			return nil, "", errors.New("the JWK is not a private key")
		}
		return k, jwk.KeyID, nil
	}
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, "", errors.New("neither PEM nor JWK")
	}
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		if signer, ok := k.(crypto.Signer); ok {
			if _, rsaOK := k.(*rsa.PrivateKey); rsaOK {
				return signer, "", nil
			}
			if _, ecOK := k.(*ecdsa.PrivateKey); ecOK {
				return signer, "", nil
			}
		}
		return nil, "", errors.New("only RSA and EC keys are supported")
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, "", nil
	}
	if k, err := x509.ParseECPrivateKey(block.Bytes); err == nil {
		return k, "", nil
	}
	return nil, "", fmt.Errorf("PEM block %q is not a private key", block.Type)
}

// ParseCertificate reads the first certificate of a PEM text.
func ParseCertificate(s string) (*x509.Certificate, error) {
	rest := []byte(s)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("no PEM CERTIFICATE block")
		}
		if block.Type == "CERTIFICATE" {
			return x509.ParseCertificate(block.Bytes)
		}
	}
}
