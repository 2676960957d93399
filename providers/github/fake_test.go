package github

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dirsync/dirsync/providers/providertest"
)

// fakeGitHub is an httptest fake of the parts of GitHub's APIs the provider uses, written
// from GitHub's public docs: GET /user/orgs (REST, Link-header pagination, per_page ≤ 100)
// and POST /graphql (organization.membersWithRole, organization.teams with parentTeam and
// members(membership:), organization.team(slug).members; connections of first ≤ 100 with
// pageInfo cursors). It checks "Authorization: Bearer <token>" as GitHub does, answers
// GraphQL failures with HTTP 200 and an "errors" array, sends x-ratelimit-* headers on
// every response, and can be told to answer given pages with given replies.
type fakeGitHub struct {
	t      testing.TB
	srv    *providertest.Server
	token  string
	prefix string // "/api/v3" for GitHub Enterprise Server, else ""

	mu       sync.Mutex
	orgs     []*fakeOrg
	requests providertest.Counter   // by operation: orgs, Members, Teams, TeamMembers
	inject   map[string][]fakeReply // by "operation#page", consumed in order
	// remaining is the x-ratelimit-remaining value sent (default 4999), reset the
	// x-ratelimit-reset value (default an hour from now).
	remaining string
	reset     int64
	times     map[string][]time.Time // arrival times by "operation#page"
}

type fakeOrg struct {
	Login   string
	Members []fakeUser
	Teams   []*fakeTeam
}

type fakeUser struct{ ID, Login, Name, Email string }

type fakeTeam struct {
	ID, Slug, Name, Description string
	Parent                      string   // parent team slug
	Members                     []string // logins of immediate members
}

// fakeReply is an injected answer.
type fakeReply struct {
	status int
	header map[string]string
	body   string
}

func newFakeGitHub(t testing.TB, prefix string, orgs ...*fakeOrg) *fakeGitHub {
	f := &fakeGitHub{t: t, token: "ghp_testtoken123", prefix: prefix, orgs: orgs,
		inject: map[string][]fakeReply{}, times: map[string][]time.Time{}, remaining: "4999",
		reset: time.Now().Add(time.Hour).Unix()}
	f.srv = providertest.NewServer(t, http.HandlerFunc(f.serve))
	return f
}

// apiURL is what the api_url option should be.
func (f *fakeGitHub) apiURL() string { return f.srv.URL + f.prefix }

// failPage makes the page-th request of op (counting from 1 within a listing) answer the
// replies in turn.
func (f *fakeGitHub) failPage(op string, page int, replies ...fakeReply) {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := op + "#" + strconv.Itoa(page)
	f.inject[key] = append(f.inject[key], replies...)
}

func (f *fakeGitHub) graphqlPath() string {
	if f.prefix == "/api/v3" {
		return "/api/graphql"
	}
	return f.prefix + "/graphql"
}

func (f *fakeGitHub) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if r.Header.Get("Authorization") != "Bearer "+f.token {
		f.requests.Add("unauthorized")
		f.rateHeaders(w, "core")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest","status":"401"}`)
		return
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == f.prefix+"/user/orgs":
		f.userOrgs(w, r)
	case r.Method == http.MethodPost && r.URL.Path == f.graphqlPath():
		f.graphql(w, r, body)
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"message":"Not Found","documentation_url":"https://docs.github.com/rest","status":"404"}`)
	}
}

func (f *fakeGitHub) rateHeaders(w http.ResponseWriter, resource string) {
	f.mu.Lock()
	remaining, reset := f.remaining, f.reset
	f.mu.Unlock()
	h := w.Header()
	h.Set("X-Ratelimit-Limit", "5000")
	h.Set("X-Ratelimit-Remaining", remaining)
	h.Set("X-Ratelimit-Reset", strconv.FormatInt(reset, 10))
	h.Set("X-Ratelimit-Used", "1")
	h.Set("X-Ratelimit-Resource", resource)
}

// injected counts the request and returns an injected reply for it, if any.
func (f *fakeGitHub) injected(op string, page int) (fakeReply, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests.Add(op)
	key := op + "#" + strconv.Itoa(page)
	f.times[key] = append(f.times[key], time.Now())
	q := f.inject[key]
	if len(q) == 0 {
		return fakeReply{}, false
	}
	f.inject[key] = q[1:]
	return q[0], true
}

func (f *fakeGitHub) reply(w http.ResponseWriter, resource string, rep fakeReply) {
	f.rateHeaders(w, resource)
	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(rep.status)
	fmt.Fprint(w, rep.body)
}

// userOrgs serves GET /user/orgs: page-numbered, per_page default 30, max 100.
func (f *fakeGitHub) userOrgs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	perPage := 30
	if v := q.Get("per_page"); v != "" {
		perPage, _ = strconv.Atoi(v)
	}
	perPage = min(max(perPage, 1), 100)
	page := 1
	if v := q.Get("page"); v != "" {
		page, _ = strconv.Atoi(v)
	}
	if rep, ok := f.injected("orgs", page); ok {
		f.reply(w, "core", rep)
		return
	}
	f.mu.Lock()
	var out []map[string]any
	for i := (page - 1) * perPage; i < min(page*perPage, len(f.orgs)); i++ {
		o := f.orgs[i]
		out = append(out, map[string]any{"login": o.Login, "id": 1000 + i, "node_id": "O_" + o.Login,
			"url": f.srv.URL + "/orgs/" + o.Login, "description": nil})
	}
	more := page*perPage < len(f.orgs)
	f.mu.Unlock()
	if more {
		next := *r.URL
		next.Scheme, next.Host = "http", r.Host
		nq := next.Query()
		nq.Set("page", strconv.Itoa(page+1))
		next.RawQuery = nq.Encode()
		w.Header().Set("Link", fmt.Sprintf(`<%s>; rel="next"`, next.String()))
	}
	f.rateHeaders(w, "core")
	if out == nil {
		out = []map[string]any{}
	}
	providertest.WriteJSON(w, http.StatusOK, out)
}

var (
	operationRE = regexp.MustCompile(`^\s*query\s+(\w+)`)
	firstRE     = regexp.MustCompile(`(\w+)\(first:\s*(\d+)`)
)

// graphql serves POST /graphql for the provider's three operations.
func (f *fakeGitHub) graphql(w http.ResponseWriter, r *http.Request, body []byte) {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"message":"Problems parsing JSON","documentation_url":"https://docs.github.com/graphql"}`)
		return
	}
	var req struct {
		Query     string         `json:"query"`
		Variables map[string]any `json:"variables"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"message":"Problems parsing JSON","documentation_url":"https://docs.github.com/graphql"}`)
		return
	}
	m := operationRE.FindStringSubmatch(req.Query)
	if m == nil {
		f.gqlErrors(w, `{"message":"A query attribute must be specified and must be a string."}`)
		return
	}
	op := m[1]
	sizes := map[string]int{}
	for _, fm := range firstRE.FindAllStringSubmatch(req.Query, -1) {
		n, _ := strconv.Atoi(fm[2])
		if n < 1 || n > 100 {
			f.gqlErrors(w, fmt.Sprintf(`{"type":"EXCESSIVE_PAGINATION","message":"Requesting %d records on the `+"`%s`"+` connection exceeds the `+"`first`"+` limit of 100 records."}`, n, fm[1]))
			return
		}
		sizes[fm[1]] = n
	}
	immediate := strings.Contains(req.Query, "membership: IMMEDIATE")
	login, _ := req.Variables["org"].(string)
	after, _ := req.Variables["after"].(string)
	offset, ok := decodeCursor(after)
	if !ok {
		f.gqlErrors(w, fmt.Sprintf(`{"type":"INVALID_CURSOR_ARGUMENTS","message":"`+"`%s`"+` does not appear to be a valid cursor."}`, after))
		return
	}
	var size int
	switch op {
	case "Members":
		size = sizes["membersWithRole"]
	case "Teams":
		size = sizes["teams"]
	case "TeamMembers":
		size = sizes["members"]
	default:
		f.gqlErrors(w, `{"message":"unknown operation `+op+`"}`)
		return
	}
	if size == 0 {
		f.gqlErrors(w, `{"type":"MISSING_PAGINATION_BOUNDARIES","message":"You must provide a `+"`first`"+` or `+"`last`"+` value to properly paginate."}`)
		return
	}
	if rep, ok := f.injected(op, offset/size+1); ok {
		f.reply(w, "graphql", rep)
		return
	}
	f.mu.Lock()
	o := f.org(login)
	var data any
	switch {
	case o == nil:
		f.mu.Unlock()
		f.gqlErrors(w, fmt.Sprintf(`{"type":"NOT_FOUND","path":["organization"],"locations":[{"line":2,"column":3}],"message":"Could not resolve to an Organization with the login of '%s'."}`, login))
		return
	case op == "Members":
		nodes, pi := page(o.Members, offset, size, func(u fakeUser) any {
			return map[string]any{"id": u.ID, "login": u.Login, "name": u.Name, "email": u.Email}
		})
		data = map[string]any{"organization": map[string]any{"membersWithRole": map[string]any{"pageInfo": pi, "nodes": nodes}}}
	case op == "Teams":
		nodes, pi := page(o.Teams, offset, size, func(t *fakeTeam) any {
			var parent any
			if p := o.team(t.Parent); p != nil {
				parent = map[string]any{"id": p.ID, "slug": p.Slug}
			}
			mnodes, mpi := page(o.teamMembers(t, immediate), 0, sizes["members"], o.memberRef)
			return map[string]any{"id": t.ID, "slug": t.Slug, "name": t.Name, "description": t.Description,
				"parentTeam": parent, "members": map[string]any{"pageInfo": mpi, "nodes": mnodes}}
		})
		data = map[string]any{"organization": map[string]any{"teams": map[string]any{"pageInfo": pi, "nodes": nodes}}}
	case op == "TeamMembers":
		slug, _ := req.Variables["slug"].(string)
		t := o.team(slug)
		if t == nil {
			data = map[string]any{"organization": map[string]any{"team": nil}}
			break
		}
		nodes, pi := page(o.teamMembers(t, immediate), offset, size, o.memberRef)
		data = map[string]any{"organization": map[string]any{"team": map[string]any{"members": map[string]any{"pageInfo": pi, "nodes": nodes}}}}
	}
	f.mu.Unlock()
	f.rateHeaders(w, "graphql")
	providertest.WriteJSON(w, http.StatusOK, map[string]any{"data": data})
}

// gqlErrors answers HTTP 200 with an errors array, as GitHub does.
func (f *fakeGitHub) gqlErrors(w http.ResponseWriter, errs ...string) {
	f.rateHeaders(w, "graphql")
	fmt.Fprintf(w, `{"data":null,"errors":[%s]}`, strings.Join(errs, ","))
}

func (f *fakeGitHub) org(login string) *fakeOrg {
	for _, o := range f.orgs {
		if strings.EqualFold(o.Login, login) {
			return o
		}
	}
	return nil
}

func (o *fakeOrg) team(slug string) *fakeTeam {
	for _, t := range o.Teams {
		if t.Slug == slug {
			return t
		}
	}
	return nil
}

// teamMembers is membership IMMEDIATE (the team's own members) or ALL (GitHub's default:
// with the members of its child teams, transitively).
func (o *fakeOrg) teamMembers(t *fakeTeam, immediate bool) []string {
	if immediate {
		return t.Members
	}
	seen := map[string]bool{t.Slug: true}
	out := slices.Clone(t.Members)
	for queue := []string{t.Slug}; len(queue) > 0; queue = queue[1:] {
		for _, c := range o.Teams {
			if c.Parent == queue[0] && !seen[c.Slug] {
				seen[c.Slug] = true
				queue = append(queue, c.Slug)
				out = append(out, c.Members...)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (o *fakeOrg) memberRef(login string) any {
	for _, u := range o.Members {
		if u.Login == login {
			return map[string]any{"id": u.ID, "login": u.Login}
		}
	}
	return map[string]any{"id": "U_" + login, "login": login}
}

// page returns items[offset:offset+size] mapped by fn, with a pageInfo.
func page[T any](items []T, offset, size int, fn func(T) any) ([]any, map[string]any) {
	nodes := []any{}
	end := min(offset+size, len(items))
	for i := offset; i < end; i++ {
		nodes = append(nodes, fn(items[i]))
	}
	pi := map[string]any{"hasNextPage": end < len(items), "endCursor": nil}
	if end > offset {
		pi["endCursor"] = encodeCursor(end)
	}
	return nodes, pi
}

func encodeCursor(offset int) string {
	return base64.StdEncoding.EncodeToString([]byte("cursor:v2:" + strconv.Itoa(offset)))
}

func decodeCursor(c string) (int, bool) {
	if c == "" {
		return 0, true
	}
	b, err := base64.StdEncoding.DecodeString(c)
	if err != nil {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimPrefix(string(b), "cursor:v2:"))
	return n, err == nil && n >= 0
}
