package blob

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"strings"

	"gocloud.dev/blob"
)

// location is one object: the bucket URL to open and the key within it.
type location struct {
	bucketURL string // what blob.OpenBucket receives; may hold query parameters
	key       string // the object's key within the bucket
	display   string // the whole URL without credentials, for errors and cursors
}

// parseLocation splits a bucket URL plus object key into bucket URL and key. For file://
// the bucket is the object's directory and the key its base name; for every other scheme
// the host is the bucket and the path the key. Query parameters stay on the bucket URL.
// The scheme must be one the default gocloud.dev URL mux knows.
func parseLocation(raw string) (location, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url's message quotes the raw URL, which may hold credentials.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return location{}, fmt.Errorf("invalid url: %v", err)
	}
	display := redact(u)
	mux := blob.DefaultURLMux()
	if u.Scheme == "" || !mux.ValidBucketScheme(u.Scheme) {
		return location{}, fmt.Errorf("url %s: unsupported scheme %q (supported: %s)",
			display, u.Scheme, strings.Join(mux.BucketSchemes(), ", "))
	}
	bucket := url.URL{Scheme: u.Scheme, User: u.User, Host: u.Host, RawQuery: u.RawQuery}
	var key string
	if u.Scheme == "file" {
		dir, base := path.Split(u.Path)
		if dir == "/" && u.Host == "." {
			dir = "/." // fileblob drops the leading "/" of a relative path
		}
		bucket.Path, key = dir, base
	} else {
		if u.Host == "" {
			return location{}, fmt.Errorf("url %s: no bucket (want %s://BUCKET/KEY)", display, u.Scheme)
		}
		key = strings.TrimPrefix(u.Path, "/")
	}
	if key == "" || strings.HasSuffix(key, "/") {
		return location{}, fmt.Errorf("url %s: names no object (want a key after the bucket)", display)
	}
	return location{bucketURL: bucket.String(), key: key, display: display}, nil
}

// sensitiveParams are substrings of query parameter names whose values are not shown.
var sensitiveParams = []string{"key", "secret", "token", "sig", "pass", "cred", "auth"}

// redact renders u without user info and with sensitive query values replaced.
func redact(u *url.URL) string {
	c := *u
	c.User = nil
	if c.RawQuery != "" {
		q := c.Query()
		for name, vals := range q {
			lower := strings.ToLower(name)
			for _, s := range sensitiveParams {
				if strings.Contains(lower, s) {
					for i := range vals {
						vals[i] = "REDACTED"
					}
					break
				}
			}
		}
		c.RawQuery = q.Encode()
	}
	return c.String()
}
