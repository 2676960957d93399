package server

import (
	"encoding/base64"
	"strings"
)

// Page sizes of DirectoryQuery lists.
const (
	defaultPageSize = 100
	maxPageSize     = 1000
)

// pageTokenPrefix marks tokens this server issued; a token is opaque to clients.
const pageTokenPrefix = "p1:"

// pageSize validates a request's page_size.
func pageSize(n int32) (int, error) {
	switch {
	case n < 0 || n > maxPageSize:
		return 0, invalidField("page_size", "must be between 0 and %d, got %d", maxPageSize, n)
	case n == 0:
		return defaultPageSize, nil
	}
	return int(n), nil
}

// encodePageToken returns the token of the page that starts after id.
func encodePageToken(id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(pageTokenPrefix + id))
}

// decodePageToken returns the id a page token starts after ("" for no token).
func decodePageToken(tok string) (string, error) {
	if tok == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || !strings.HasPrefix(string(b), pageTokenPrefix) || len(b) == len(pageTokenPrefix) {
		return "", invalidField("page_token", "malformed page token: pass next_page_token from the previous page unchanged")
	}
	return string(b[len(pageTokenPrefix):]), nil
}
