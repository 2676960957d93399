package github

import (
	"bytes"
	"net/http"

	"github.com/dirsync/dirsync/providers/apiclient"
)

// rateLimitHeaders are GitHub's primary rate-limit headers: when x-ratelimit-remaining reads
// 0, no request is sent before x-ratelimit-reset (UTC epoch seconds).
var rateLimitHeaders = apiclient.RateLimitHeaders{Remaining: "X-Ratelimit-Remaining", Reset: "X-Ratelimit-Reset"}

// throttled reports GitHub's rate-limit answers that are not 429: a 403 with retry-after
// (secondary limit), with x-ratelimit-remaining: 0 (primary limit spent), or whose message
// names a secondary rate limit. apiclient retries them after retry-after, else after the
// x-ratelimit-reset time, and fails the request with a retry time when that is too far
// away. A 403 without any of these is a permission error and is not retried.
func throttled(r *apiclient.Response) bool {
	switch r.Status {
	case http.StatusTooManyRequests:
		return true
	case http.StatusForbidden:
	default:
		return false
	}
	return r.Header.Get("Retry-After") != "" || r.Header.Get(rateLimitHeaders.Remaining) == "0" ||
		bytes.Contains(bytes.ToLower(r.Body), []byte("secondary rate limit"))
}
