package main

import (
	"context"
	"flag"
	"fmt"
)

// listFlags are the flags every list command takes.
type listFlags struct {
	query string
	limit int
	token string
	all   bool
}

func (l *listFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&l.query, "query", "", "case-insensitive text matched against id, name and email")
	fs.IntVar(&l.limit, "limit", 0, "results per page: 0 for the server's default (100), at most 1000")
	fs.StringVar(&l.token, "page-token", "", "continue a listing from the next_page_token of the previous page")
	fs.BoolVar(&l.all, "all", false, "fetch every page")
}

// parseList is e.parse for a list command taking n positional arguments, checking --limit.
func (e *env) parseList(fs *flag.FlagSet, l *listFlags, args []string, n int) ([]string, error) {
	pos, err := e.parse(fs, args, n, n)
	if err != nil {
		return nil, err
	}
	if l.limit < 0 || l.limit > 1000 {
		return nil, &usageError{fmt.Sprintf("--limit %d: want 0 to 1000", l.limit)}
	}
	return pos, e.connect()
}

// listResponse is what every list response has.
type listResponse interface {
	GetNextPageToken() string
	GetRecordVersion() uint64
}

// pages calls fetch for the page at --page-token or, with --all, for it and every later page,
// each call bounded by --timeout, and returns the responses in order. fetch must ask for the
// page at token, answered at a record_version of at least minVersion: later pages ask for the
// version of the first, so a listing never goes back in time.
func pages[R listResponse](e *env, l *listFlags, fetch func(ctx context.Context, token string, minVersion uint64) (R, error)) ([]R, error) {
	var out []R
	token, version := l.token, uint64(0)
	for {
		ctx, cancel := e.call()
		resp, err := fetch(ctx, token, version)
		cancel()
		if err != nil {
			return nil, err
		}
		out = append(out, resp)
		if version == 0 {
			version = resp.GetRecordVersion()
		}
		if token = resp.GetNextPageToken(); !l.all || token == "" {
			return out, nil
		}
	}
}

// moreHint tells people, on stderr, how to get the page after a table.
func (e *env) moreHint(next string) {
	if next != "" && !e.json() {
		fmt.Fprintf(e.stderr, "more results: --page-token %s, or --all\n", next)
	}
}

// concat returns the items of every page, in order.
func concat[R, T any](ps []R, items func(R) []T) []T {
	var out []T
	for _, p := range ps {
		out = append(out, items(p)...)
	}
	return out
}
