package apiclient

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNextLink(t *testing.T) {
	tests := []struct{ name, header, want string }{
		{"okta", `<https://x.okta.com/api/v1/users?limit=200>; rel="self", <https://x.okta.com/api/v1/users?after=00u1&limit=200>; rel="next"`,
			"https://x.okta.com/api/v1/users?after=00u1&limit=200"},
		{"github", `<https://api.github.com/orgs/o/members?page=2>; rel="next", <https://api.github.com/orgs/o/members?page=5>; rel="last"`,
			"https://api.github.com/orgs/o/members?page=2"},
		{"unquoted and spaced", `<https://a/b?x=1,2> ;rel=next`, "https://a/b?x=1,2"},
		{"several rels", `<https://a/2>; rel="next last"`, "https://a/2"},
		{"none", `<https://a/1>; rel="prev"`, ""},
		{"empty", ``, ""},
		{"malformed", `https://a/2; rel="next"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.header != "" {
				h.Set("Link", tt.header)
			}
			require.Equal(t, tt.want, NextLink(&Response{Header: h}))
		})
	}
}

func TestWithQuery(t *testing.T) {
	require.Equal(t, "https://a/users?maxResults=500&pageToken=t%2B1", WithQuery("https://a/users?maxResults=500", "pageToken", "t+1"))
	require.Equal(t, "", WithQuery("https://a/users", "pageToken", ""))
}

type page struct {
	Items []int  `json:"items"`
	Next  string `json:"next"`
}

func TestPages(t *testing.T) {
	var base string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("page"))
		switch {
		case r.URL.Query().Get("loop") != "":
			fmt.Fprintf(w, `{"items":[1],"next":"%s/api/v1/items?loop=1"}`, base)
		case r.URL.Query().Get("bad") != "":
			fmt.Fprint(w, `{"items":["x"]}`)
		case n < 3:
			w.Header().Set("Link", fmt.Sprintf(`<%s/api/v1/items?page=%d>; rel="next"`, base, n+1))
			fmt.Fprintf(w, `{"items":[%d]}`, n)
		default:
			fmt.Fprintf(w, `{"items":[%d]}`, n)
		}
	})
	c := newTestClient(t, h, Config{})
	base = "http://" + c.base.Host
	var got []int
	err := Pages(context.Background(), c, "items", "items?page=1", func(r *Response, _ *page) string { return NextLink(r) },
		func(p *page) error {
			got = append(got, p.Items...)
			return nil
		})
	require.NoError(t, err)
	require.Equal(t, []int{1, 2, 3}, got)

	err = Pages(context.Background(), c, "items", "items?loop=1", func(_ *Response, p *page) string { return p.Next },
		func(*page) error { return nil })
	require.EqualError(t, err, "items: page 2 repeats the URL of an earlier page")

	err = Pages(context.Background(), c, "items", "items?bad=1", func(_ *Response, p *page) string { return p.Next },
		func(*page) error { return nil })
	require.ErrorContains(t, err, "items: page 1: decoding the response: json: cannot unmarshal")
}

func TestPagesOfSendsTheRequestsHeaders(t *testing.T) {
	var prefer []string
	var base string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		prefer = append(prefer, r.Header.Get("Prefer"))
		if r.URL.Query().Get("page") == "" {
			fmt.Fprintf(w, `{"items":[1],"next":"%s/api/v1/items?page=2"}`, base)
			return
		}
		fmt.Fprint(w, `{"items":[2]}`)
	})
	c := newTestClient(t, h, Config{})
	base = "http://" + c.base.Host
	var got []int
	err := PagesOf(context.Background(), c, Request{Endpoint: "items", URL: "items", Header: http.Header{"Prefer": {"odata.maxpagesize=999"}}},
		func(_ *Response, p *page) string { return p.Next },
		func(p *page) error {
			got = append(got, p.Items...)
			return nil
		})
	require.NoError(t, err)
	require.Equal(t, []int{1, 2}, got)
	require.Equal(t, []string{"odata.maxpagesize=999", "odata.maxpagesize=999"}, prefer)
}
