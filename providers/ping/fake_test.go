package ping

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/dirsync/dirsync/providers/providertest"
)

// fakePing is an httptest PingOne environment written from the PingOne Platform API
// documentation: a token endpoint at /{envID}/as/token that accepts the client-credentials
// grant with Client Secret Basic only, and the users, groups and group-nesting listings
// under /v1/environments/{envID}/ with HAL pages (_embedded, _links.next.href carrying a
// cursor), PingOne's page-size limits and error bodies {id, code, message, details}.
type fakePing struct {
	srv *providertest.Server

	mu      sync.Mutex
	env     string
	id      string
	secret  string
	users   []fakeUser
	groups  []fakeGroup
	parents map[string][]string // group id → ids of the groups it is nested in
	tokens  map[string]bool     // access tokens that are valid
	issued  int
	counts  providertest.Counter // requests by endpoint: token, users, groups, group nestings
	// fail, when set, may answer a request instead of the fake (status 0: no answer).
	fail func(endpoint string, page int) (status int, header http.Header, body string)
}

type fakeUser struct {
	ID, Username, Email, Given, Family string
	Enabled                            bool
	Groups                             []string
}

type fakeGroup struct{ ID, Name, Description string }

const (
	testEnv    = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
	testID     = "6b1c0ba1-9c2e-4a53-8b1a-7e2f0c1d2e3f"
	testSecret = "s3cr3t~w0rker/app+secret"
)

func newFake(t testing.TB) *fakePing {
	f := &fakePing{env: testEnv, id: testID, secret: testSecret, parents: map[string][]string{},
		tokens: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /{env}/as/token", f.token)
	api := "/v1/environments/{env}/"
	mux.HandleFunc("GET "+api+"users", f.listUsers)
	mux.HandleFunc("GET "+api+"groups", f.listGroups)
	mux.HandleFunc("GET "+api+"groups/{id}/memberOfGroups", f.listNestings)
	f.srv = providertest.NewServer(t, mux)
	return f
}

// options returns provider options pointing at the fake.
func (f *fakePing) options() Options {
	return Options{EnvironmentID: f.env, ClientID: f.id, ClientSecret: f.secret, AuthURL: f.srv.URL, APIURL: f.srv.URL}
}

// revokeTokens makes every issued access token invalid (as its expiry would).
func (f *fakePing) revokeTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.tokens)
}

func (f *fakePing) setFail(fn func(endpoint string, page int) (int, http.Header, string)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = fn
}

func pingError(w http.ResponseWriter, status int, code, message string) {
	providertest.WriteJSON(w, status, map[string]any{"id": "5c2b7a9e-0000-4000-8000-000000000001", "code": code, "message": message})
}

// token implements the client-credentials grant with CLIENT_SECRET_BASIC, the worker
// application's default token endpoint authentication method.
func (f *fakePing) token(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.counts.Add("token")
	if r.PathValue("env") != f.env {
		pingError(w, http.StatusNotFound, "NOT_FOUND", "The requested resource was not found.")
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		providertest.OAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "The grant type must be client_credentials.")
		return
	}
	if r.PostForm.Has("client_secret") {
		providertest.OAuthError(w, http.StatusUnauthorized, "invalid_client", "Request denied: Unsupported authentication method")
		return
	}
	id, secret, ok := basicAuth(r)
	if !ok || id != f.id || secret != f.secret {
		providertest.OAuthError(w, http.StatusUnauthorized, "invalid_client", "Request denied: Invalid client credentials")
		return
	}
	f.issued++
	tok := fmt.Sprintf("access-token-%d", f.issued)
	f.tokens[tok] = true
	providertest.WriteJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 3600})
}

// basicAuth reads HTTP Basic credentials whose parts are form-encoded (RFC 6749 §2.3.1).
func basicAuth(r *http.Request) (id, secret string, ok bool) {
	h, found := strings.CutPrefix(r.Header.Get("Authorization"), "Basic ")
	if !found {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(h)
	if err != nil {
		return "", "", false
	}
	i, s, found := strings.Cut(string(raw), ":")
	if !found {
		return "", "", false
	}
	id, err1 := url.QueryUnescape(i)
	secret, err2 := url.QueryUnescape(s)
	return id, secret, err1 == nil && err2 == nil
}

// begin counts the request, checks the environment and bearer token, and applies fail;
// it returns false when it has answered.
func (f *fakePing) begin(w http.ResponseWriter, r *http.Request, endpoint string, page int) bool {
	f.counts.Add(endpoint)
	if r.PathValue("env") != f.env {
		pingError(w, http.StatusNotFound, "NOT_FOUND", "The requested resource was not found.")
		return false
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || !f.tokens[tok] {
		pingError(w, http.StatusUnauthorized, "INVALID_TOKEN", "The request could not be completed. The access token is invalid or expired.")
		return false
	}
	if f.fail != nil {
		if status, h, body := f.fail(endpoint, page); status != 0 {
			for k, v := range h {
				w.Header()[k] = v
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
			return false
		}
	}
	return true
}

// pageOf reads limit (1–1000, PingOne's range; served at most max) and the cursor (an
// offset here) of a listing request.
func pageOf(w http.ResponseWriter, r *http.Request, max int) (offset, limit int, ok bool) {
	q := r.URL.Query()
	limit = max
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			pingError(w, http.StatusBadRequest, "INVALID_VALUE", "limit must be between 1 and 1000")
			return 0, 0, false
		}
		limit = min(n, max)
	}
	if c := q.Get("cursor"); c != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(c, "c"))
		if err != nil || !strings.HasPrefix(c, "c") {
			pingError(w, http.StatusBadRequest, "INVALID_VALUE", "cursor is invalid")
			return 0, 0, false
		}
		offset = n
	}
	return offset, limit, true
}

// pageNumber is the 1-based page a request asks for.
func pageNumber(r *http.Request, max int) int {
	c := r.URL.Query().Get("cursor")
	if c == "" {
		return 1
	}
	n, _ := strconv.Atoi(strings.TrimPrefix(c, "c"))
	return n/max + 1
}

// writePage writes a HAL page of items[offset:offset+limit] under _embedded[key], with a
// next link when more remain. The link carries only the cursor and the limit, not the
// request's other parameters (include): a client must not count on PingOne echoing them.
func (f *fakePing) writePage(w http.ResponseWriter, r *http.Request, key string, items []any, offset, limit int) {
	end := min(offset+limit, len(items))
	if offset > len(items) {
		offset = len(items)
	}
	self := f.srv.URL + r.URL.RequestURI()
	links := map[string]any{"self": map[string]string{"href": self}}
	if end < len(items) {
		q := url.Values{"cursor": {"c" + strconv.Itoa(end)}, "limit": {strconv.Itoa(limit)}}
		links["next"] = map[string]string{"href": f.srv.URL + r.URL.Path + "?" + q.Encode()}
	}
	providertest.WriteJSON(w, http.StatusOK, map[string]any{
		"_links": links, "_embedded": map[string]any{key: items[offset:end]},
		"count": len(items), "size": end - offset,
	})
}

func (f *fakePing) listUsers(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.begin(w, r, "users", pageNumber(r, 200)) {
		return
	}
	offset, limit, ok := pageOf(w, r, 200) // the users endpoint serves at most 200 a page
	if !ok {
		return
	}
	withGroups := r.URL.Query().Get("include") == "memberOfGroupIDs"
	items := make([]any, len(f.users))
	for i, u := range f.users {
		m := map[string]any{
			"id": u.ID, "username": u.Username, "email": u.Email, "enabled": u.Enabled,
			"name":       map[string]string{"given": u.Given, "family": u.Family},
			"population": map[string]string{"id": "pop-1"},
			"lifecycle":  map[string]string{"status": "ACCOUNT_OK"},
		}
		if withGroups {
			m["memberOfGroupIDs"] = slices.Clone(u.Groups)
		}
		items[i] = m
	}
	f.writePage(w, r, "users", items, offset, limit)
}

func (f *fakePing) listGroups(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.begin(w, r, "groups", pageNumber(r, 1000)) {
		return
	}
	offset, limit, ok := pageOf(w, r, 1000)
	if !ok {
		return
	}
	items := make([]any, len(f.groups))
	for i, g := range f.groups {
		items[i] = map[string]any{"id": g.ID, "name": g.Name, "description": g.Description,
			"environment": map[string]string{"id": f.env}}
	}
	f.writePage(w, r, "groups", items, offset, limit)
}

func (f *fakePing) listNestings(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.begin(w, r, "group nestings", pageNumber(r, 1000)) {
		return
	}
	id := r.PathValue("id")
	if !slices.ContainsFunc(f.groups, func(g fakeGroup) bool { return g.ID == id }) {
		pingError(w, http.StatusNotFound, "NOT_FOUND", "Unable to find group "+id)
		return
	}
	offset, limit, ok := pageOf(w, r, 1000)
	if !ok {
		return
	}
	var items []any
	for _, p := range f.parents[id] {
		items = append(items, map[string]any{"id": p, "type": "GROUP"})
	}
	f.writePage(w, r, "groupMemberships", items, offset, limit)
}

// directory fills the fake with users and groups; user i is in groups i%groups and
// (i+1)%groups.
func (f *fakePing) directory(users, groups int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.groups = make([]fakeGroup, groups)
	for i := range groups {
		f.groups[i] = fakeGroup{ID: fmt.Sprintf("g-%05d", i), Name: fmt.Sprintf("Group %d", i)}
	}
	f.users = make([]fakeUser, users)
	for i := range users {
		u := fakeUser{ID: fmt.Sprintf("u-%05d", i), Username: fmt.Sprintf("user%d", i),
			Email: fmt.Sprintf("user%d@example.com", i), Given: "User", Family: strconv.Itoa(i), Enabled: true}
		if groups > 0 {
			u.Groups = []string{f.groups[i%groups].ID, f.groups[(i+1)%groups].ID}
		}
		f.users[i] = u
	}
}
