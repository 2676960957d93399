package onelogin

import (
	"encoding/base64"
	"encoding/json"
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

// fake is a OneLogin account's API as documented: Generate Token v2 (POST
// /auth/oauth2/v2/token, HTTP Basic client credentials, JSON body), Bearer auth, API v2
// listings as bare JSON arrays with limit (capped at 1000) and cursor pagination through the
// After-Cursor header (a cursor encodes limit and page), API v1 /api/1/groups with its
// {status, pagination, data} envelope (50 per page, after_cursor), and the account's
// X-RateLimit-Limit/Remaining/Reset headers (Reset: seconds left).
type fake struct {
	t   testing.TB
	srv *providertest.Server

	mu            sync.Mutex
	users         []fakeUser
	groups        []fakeGroup
	roles         []fakeGroup
	groupsPerPage int  // v1 page size (50)
	omitRoleIDs   bool // list users without role_ids
	expiresIn     int
	valid         map[string]bool // access tokens issued and not revoked (each valid for expires_in)
	tokens        int
	secret        string
	counts        providertest.Counter
	fault         func(w http.ResponseWriter, endpoint string, n int) bool
}

type fakeUser struct {
	ID            int64
	Email, First  string
	Last          string
	Status, State int
	GroupID       int64 // 0: none
	RoleIDs       []int64
}

type fakeGroup struct {
	ID   int64
	Name string
}

const (
	fakeClientID = "0123456789abcdef"
	fakeSecret   = "s3cret-value-never-logged"
	fakeMaxLimit = 1000
)

func newFake(t testing.TB) *fake {
	f := &fake{t: t, groupsPerPage: 50, expiresIn: 36000, secret: fakeSecret, valid: map[string]bool{}}
	f.srv = providertest.NewServer(t, http.HandlerFunc(f.serve))
	return f
}

func (f *fake) options() Options {
	return Options{ClientID: fakeClientID, ClientSecret: fakeSecret, URL: f.srv.URL}
}

// revoke invalidates every access token issued so far.
func (f *fake) revoke() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.valid)
}

// v2Error writes an API v2 error body.
func v2Error(w http.ResponseWriter, status int, name, message string) {
	providertest.WriteJSON(w, status, map[string]any{"statusCode": status, "name": name, "message": message})
}

// v1Error writes an API v1 (and token endpoint) error body.
func v1Error(w http.ResponseWriter, status int, typ, message string) {
	providertest.WriteJSON(w, status, map[string]any{"status": map[string]any{"error": true, "code": status, "type": typ, "message": message}})
}

func endpointOf(r *http.Request) string {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.URL.Path == "/auth/oauth2/v2/token":
		return "token"
	case r.URL.Path == "/api/2/users":
		return "users"
	case r.URL.Path == "/api/1/groups":
		return "groups"
	case r.URL.Path == "/api/2/roles":
		return "roles"
	case len(parts) == 5 && parts[0] == "api" && parts[1] == "2" && parts[2] == "roles" && parts[4] == "users":
		return "role members"
	}
	return "unknown"
}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8") // every JSON reply
	endpoint := endpointOf(r)
	f.mu.Lock()
	n := f.counts.Add(endpoint)
	fault := f.fault
	f.mu.Unlock()
	w.Header().Set("X-RateLimit-Limit", "5000")
	w.Header().Set("X-RateLimit-Remaining", "4999")
	w.Header().Set("X-RateLimit-Reset", "1800")
	if fault != nil && fault(w, endpoint, n) {
		return
	}
	if endpoint == "token" {
		f.serveToken(w, r)
		return
	}
	if !f.authorized(r, endpoint == "groups") {
		if endpoint == "groups" {
			v1Error(w, http.StatusUnauthorized, "Unauthorized", "Authentication Failure")
		} else {
			v2Error(w, http.StatusUnauthorized, "Unauthorized", "Unauthorized")
		}
		return
	}
	if r.Method != http.MethodGet {
		v2Error(w, http.StatusNotFound, "NotFoundError", "No Route Exists")
		return
	}
	q := r.URL.Query()
	switch endpoint {
	case "users":
		f.serveUsers(w, q)
	case "groups":
		f.serveGroups(w, q)
	case "roles":
		f.mu.Lock()
		roles := slices.Clone(f.roles)
		f.mu.Unlock()
		out := make([]map[string]any, len(roles))
		for i, g := range roles {
			out[i] = map[string]any{"id": g.ID, "name": g.Name}
		}
		v2Page(w, q, out)
	case "role members":
		f.serveRoleUsers(w, q, strings.Split(r.URL.Path, "/")[4])
	default:
		v2Error(w, http.StatusNotFound, "NotFoundError", "No Route Exists")
	}
}

// authorized checks the access token: "bearer <token>" (v2 documents it, any case for the
// scheme); API v1 documents "bearer:<token>" and takes the standard form too.
func (f *fake) authorized(r *http.Request, v1 bool) bool {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok && v1 {
		scheme, tok, ok = strings.Cut(h, ":")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return ok && strings.EqualFold(scheme, "bearer") && f.valid[tok]
}

func (f *fake) serveToken(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	var body struct {
		GrantType string `json:"grant_type"`
	}
	switch {
	case r.Method != http.MethodPost:
		v1Error(w, http.StatusNotFound, "not found", "No Route Exists")
	case !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") || json.NewDecoder(r.Body).Decode(&body) != nil:
		v1Error(w, http.StatusBadRequest, "bad request", "Content Type is not supported")
	case !ok || id != fakeClientID || secret != f.secret:
		v1Error(w, http.StatusUnauthorized, "Unauthorized", "Authentication Failure")
	case body.GrantType != "client_credentials":
		v1Error(w, http.StatusBadRequest, "bad request", "grant_type is incorrect/absent")
	default:
		f.mu.Lock()
		f.tokens++
		tok, exp := fmt.Sprintf("tok%040d", f.tokens), f.expiresIn
		f.valid[tok] = true
		f.mu.Unlock()
		providertest.WriteJSON(w, http.StatusOK, map[string]any{"access_token": tok, "created_at": "2026-11-29T12:00:00.000Z",
			"expires_in": exp, "refresh_token": "rt" + tok, "token_type": "bearer", "account_id": 555555})
	}
}

// v2Page writes one page of items the way API v2 paginates: limit (default 50, at most
// 1000) or a cursor naming limit and page; pagination metadata in headers.
func v2Page[T any](w http.ResponseWriter, q url.Values, items []T) {
	limit, page := 50, 1
	if c := q.Get("cursor"); c != "" {
		b, err := base64.StdEncoding.DecodeString(c)
		v, err2 := url.ParseQuery(string(b))
		l, err3 := strconv.Atoi(v.Get("limit"))
		p, err4 := strconv.Atoi(v.Get("page"))
		if err != nil || err2 != nil || err3 != nil || err4 != nil || p < 1 {
			v2Error(w, http.StatusBadRequest, "BadRequestError", "Invalid cursor")
			return
		}
		limit, page = l, p
	} else if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			v2Error(w, http.StatusBadRequest, "BadRequestError", "limit must be a positive integer")
			return
		}
		limit = min(n, fakeMaxLimit)
	}
	start := min((page-1)*limit, len(items))
	end := min(start+limit, len(items))
	pages := max(1, (len(items)+limit-1)/limit)
	w.Header().Set("Total-Count", strconv.Itoa(len(items)))
	w.Header().Set("Total-Pages", strconv.Itoa(pages))
	w.Header().Set("Current-Page", strconv.Itoa(page))
	w.Header().Set("Page-Items", strconv.Itoa(end-start))
	if end < len(items) {
		w.Header().Set("After-Cursor", base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("limit=%d&page=%d", limit, page+1))))
	}
	if page > 1 {
		w.Header().Set("Before-Cursor", base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("limit=%d&page=%d", limit, page-1))))
	}
	providertest.WriteJSON(w, http.StatusOK, items[start:end])
}

func (f *fake) serveUsers(w http.ResponseWriter, q url.Values) {
	f.mu.Lock()
	users, omit := slices.Clone(f.users), f.omitRoleIDs
	f.mu.Unlock()
	type user struct {
		ID          int64    `json:"id"`
		Email       string   `json:"email"`
		Username    string   `json:"username"`
		Firstname   string   `json:"firstname"`
		Lastname    string   `json:"lastname"`
		Status      int      `json:"status"`
		State       int      `json:"state"`
		GroupID     *int64   `json:"group_id"`
		DirectoryID *int64   `json:"directory_id"`
		CreatedAt   string   `json:"created_at"`
		RoleIDs     *[]int64 `json:"role_ids,omitempty"`
	}
	out := make([]user, len(users))
	for i, u := range users {
		out[i] = user{ID: u.ID, Email: u.Email, Username: strings.Split(u.Email, "@")[0], Firstname: u.First,
			Lastname: u.Last, Status: u.Status, State: u.State, CreatedAt: "2026-01-01T00:00:00.000Z"}
		if u.GroupID != 0 {
			out[i].GroupID = &u.GroupID
		}
		if !omit {
			roles := append([]int64{}, u.RoleIDs...)
			out[i].RoleIDs = &roles
		}
	}
	v2Page(w, q, out)
}

func (f *fake) serveGroups(w http.ResponseWriter, q url.Values) {
	f.mu.Lock()
	groups, per := slices.Clone(f.groups), f.groupsPerPage
	f.mu.Unlock()
	start := 0
	if c := q.Get("after_cursor"); c != "" {
		b, err := base64.StdEncoding.DecodeString(c)
		n, err2 := strconv.Atoi(string(b))
		if err != nil || err2 != nil || n < 0 || n > len(groups) {
			v1Error(w, http.StatusBadRequest, "bad request", "after_cursor is invalid")
			return
		}
		start = n
	}
	end := min(start+per, len(groups))
	data := []map[string]any{}
	for _, g := range groups[start:end] {
		data = append(data, map[string]any{"id": g.ID, "name": g.Name, "reference": nil})
	}
	pagination := map[string]any{"before_cursor": nil, "after_cursor": nil, "previous_link": nil, "next_link": nil}
	if end < len(groups) {
		c := base64.StdEncoding.EncodeToString([]byte(strconv.Itoa(end)))
		pagination["after_cursor"] = c
		pagination["next_link"] = f.srv.URL + "/api/1/groups?after_cursor=" + url.QueryEscape(c)
	}
	providertest.WriteJSON(w, http.StatusOK, map[string]any{
		"status":     map[string]any{"error": false, "code": 200, "type": "success", "message": "Success"},
		"pagination": pagination, "data": data})
}

func (f *fake) serveRoleUsers(w http.ResponseWriter, q url.Values, id string) {
	f.mu.Lock()
	var members []map[string]any
	found := false
	for _, r := range f.roles {
		if strconv.FormatInt(r.ID, 10) != id {
			continue
		}
		found = true
		for _, u := range f.users {
			if slices.Contains(u.RoleIDs, r.ID) {
				members = append(members, map[string]any{"id": u.ID, "name": u.First + " " + u.Last,
					"username": u.Email, "assigned": true})
			}
		}
	}
	f.mu.Unlock()
	if !found {
		v2Error(w, http.StatusNotFound, "NotFoundError", "The resource with the given id could not be found")
		return
	}
	v2Page(w, q, members)
}

// populate fills the fake with n users and g groups and g roles: user i is in group i%g
// and roles i%g, (i+1)%g, (i+7)%g; every fifth user is suspended (status 2).
func (f *fake) populate(n, g int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.groups, f.roles = make([]fakeGroup, g), make([]fakeGroup, g)
	for j := range g {
		f.groups[j] = fakeGroup{ID: int64(400000 + j), Name: fmt.Sprintf("Group %d", j)}
		f.roles[j] = fakeGroup{ID: int64(700000 + j), Name: fmt.Sprintf("Role %d", j)}
	}
	f.users = make([]fakeUser, n)
	for i := range n {
		status := 1
		if i%5 == 0 {
			status = 2
		}
		roles := []int64{f.roles[i%g].ID}
		for _, j := range []int{(i + 1) % g, (i + 7) % g} {
			if !slices.Contains(roles, f.roles[j].ID) {
				roles = append(roles, f.roles[j].ID)
			}
		}
		f.users[i] = fakeUser{ID: int64(50000000 + i), Email: fmt.Sprintf("user%d@example.com", i), First: "User",
			Last: strconv.Itoa(i), Status: status, State: 1, GroupID: f.groups[i%g].ID, RoleIDs: roles}
	}
}

// setFault installs fn (nil: none) under the fake's lock: a request of a failed run may
// still be in flight.
func (f *fake) setFault(fn func(w http.ResponseWriter, endpoint string, n int) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fault = fn
}
