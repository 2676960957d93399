package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/apiclient"
)

// graphqlError is one entry of a GraphQL response's "errors" array. GitHub sets type to
// e.g. RATE_LIMITED, NOT_FOUND, FORBIDDEN, MAX_NODE_LIMIT_EXCEEDED.
type graphqlError struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

// query posts one GraphQL query and decodes its "data" into out. GitHub answers most
// failures with HTTP 200 and an "errors" array, possibly beside partial data: any error
// fails the query, so a rate-limited or forbidden page is never taken for an empty one. A
// RATE_LIMITED error is a *providers.RetryError at the x-ratelimit-reset time.
func (p *provider) query(ctx context.Context, endpoint, query string, vars map[string]any, out any) error {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return fmt.Errorf("%s: encoding the query: %w", endpoint, err)
	}
	resp, err := p.client.Do(ctx, apiclient.Request{Method: http.MethodPost, URL: p.graphqlURL, Endpoint: endpoint,
		Header: http.Header{"Content-Type": {"application/json"}}, Body: body})
	if err != nil {
		return err
	}
	var r struct {
		Data   json.RawMessage `json:"data"`
		Errors []graphqlError  `json:"errors"`
	}
	if err := json.Unmarshal(resp.Body, &r); err != nil {
		return fmt.Errorf("%s: decoding the GraphQL response: %w", endpoint, err)
	}
	if len(r.Errors) > 0 {
		return responseError(endpoint, resp, r.Errors)
	}
	if len(r.Data) == 0 || string(r.Data) == "null" {
		return fmt.Errorf("%s: GraphQL response has neither data nor errors", endpoint)
	}
	if err := json.Unmarshal(r.Data, out); err != nil {
		return fmt.Errorf("%s: decoding the GraphQL data: %w", endpoint, err)
	}
	return nil
}

// responseError describes the errors of a GraphQL response.
func responseError(endpoint string, resp *apiclient.Response, errs []graphqlError) error {
	first := errs[0]
	for _, e := range errs {
		if e.Type == "RATE_LIMITED" {
			first = e
			break
		}
	}
	msg := first.Message
	if len(msg) > 300 {
		cut := 300
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "…"
	}
	if first.Type != "" {
		msg = first.Type + ": " + msg
	}
	if len(errs) > 1 {
		msg += fmt.Sprintf(" (and %d more errors)", len(errs)-1)
	}
	err := fmt.Errorf("%s: GraphQL error %s", endpoint, msg)
	if first.Type != "RATE_LIMITED" {
		return err
	}
	at := time.Now().Add(time.Minute) // GitHub's advice when it does not say
	if n, perr := strconv.ParseInt(resp.Header.Get(rateLimitHeaders.Reset), 10, 64); perr == nil && n > 0 {
		at = time.Unix(n+1, 0)
	}
	return &providers.RetryError{At: at, Err: err}
}

// pageInfo is a GraphQL connection's pagination state.
type pageInfo struct {
	HasNextPage bool   `json:"hasNextPage"`
	EndCursor   string `json:"endCursor"`
}

// next returns the cursor of the next page, or "" at the end. A connection that claims a
// next page without a cursor would loop, so it is an error.
func (pi pageInfo) next(endpoint string) (string, error) {
	if !pi.HasNextPage {
		return "", nil
	}
	if pi.EndCursor == "" {
		return "", errors.New(endpoint + ": hasNextPage without an endCursor")
	}
	return pi.EndCursor, nil
}

// cursorVar is a GraphQL "after" variable: null for the first page.
func cursorVar(after string) any {
	if after == "" {
		return nil
	}
	return after
}
