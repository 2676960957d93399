package apiclient

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"golang.org/x/sync/errgroup"
)

// Pages reads a paginated listing: it GETs first, decodes each page into a new P, passes it
// to fn, and follows next(response, page) until it returns "". next reads whichever
// pagination the API uses: NextLink for a Link header, a field for a next link in the body
// (@odata.nextLink, _links.next.href), or WithQuery for a page token. A next URL seen
// before is an error (a server repeating a page would loop forever); so is a page that does
// not decode. Pages never treats a failed page as the end of the data.
func Pages[P any](ctx context.Context, c *Client, endpoint, first string, next func(*Response, *P) string, fn func(*P) error) error {
	return PagesOf(ctx, c, Request{Endpoint: endpoint, URL: first}, next, fn)
}

// PagesOf is Pages for a listing whose requests need more than a URL: every page is
// requested as first is, with first.URL replaced by the next URL (Graph's Prefer header).
func PagesOf[P any](ctx context.Context, c *Client, first Request, next func(*Response, *P) string, fn func(*P) error) error {
	seen := map[string]bool{}
	req := first
	for n := 1; req.URL != ""; n++ {
		key := req.URL
		if abs, err := c.base.Parse(req.URL); err == nil {
			key = abs.String()
		}
		if seen[key] {
			return fmt.Errorf("%s: page %d repeats the URL of an earlier page", first.Endpoint, n)
		}
		seen[key] = true
		resp, err := c.Do(ctx, req)
		if err != nil {
			return err
		}
		page := new(P)
		if err := json.Unmarshal(resp.Body, page); err != nil {
			return fmt.Errorf("%s: page %d: decoding the response: %w", first.Endpoint, n, err)
		}
		if err := fn(page); err != nil {
			return err
		}
		req.URL = next(resp, page)
	}
	return nil
}

// NextLink returns the target of the Link header's rel="next" entry (RFC 8288), or "".
// Link headers are simple enough that a dependency would not pay for itself.
func NextLink(resp *Response) string {
	for _, header := range resp.Header.Values("Link") {
		for _, link := range splitLinks(header) {
			target, params, ok := strings.Cut(link, ";")
			target = strings.TrimSpace(target)
			if !ok || !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
				continue
			}
			for _, p := range strings.Split(params, ";") {
				k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
				if strings.EqualFold(strings.TrimSpace(k), "rel") && hasToken(strings.Trim(strings.TrimSpace(v), `"`), "next") {
					return target[1 : len(target)-1]
				}
			}
		}
	}
	return ""
}

// splitLinks splits a Link header at the commas between links (not those inside <…>).
func splitLinks(h string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range h {
		switch r {
		case '<':
			depth++
		case '>':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, h[start:i])
				start = i + 1
			}
		}
	}
	return append(out, h[start:])
}

func hasToken(list, token string) bool {
	for _, t := range strings.Fields(list) {
		if strings.EqualFold(t, token) {
			return true
		}
	}
	return false
}

// WithQuery returns rawURL with the query parameter key set to value (a page token or a
// cursor); an empty value returns "" so that `next` can end a listing in one expression.
func WithQuery(rawURL, key, value string) string {
	if value == "" {
		return ""
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL // Pages reports the unparsable URL when it requests it
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// ForEach calls fn for 0 ≤ i < n with at most c.Concurrency() calls at once, and returns the
// first error (the others are cancelled through ctx).
func ForEach(ctx context.Context, c *Client, n int, fn func(ctx context.Context, i int) error) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(c.Concurrency())
	for i := range n {
		g.Go(func() error { return fn(ctx, i) })
	}
	return g.Wait()
}
