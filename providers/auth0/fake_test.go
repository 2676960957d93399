package auth0

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dirsync/dirsync/providers/providertest"
)

// fake is an Auth0 tenant's Management API as documented: client-credentials tokens at
// /oauth/token (form body with audience), Bearer-token auth, offset paging of users and roles
// (per_page ≤ 100, and only the first 1,000 results: page*per_page+per_page > 1000 is a 400),
// checkpoint paging (take ≤ 100, from/next) of role users, organizations and their members,
// user-export jobs whose file is served, gzipped NDJSON, from another host (download), and
// X-RateLimit-* headers on every answer. Auth0 error bodies are {statusCode, error,
// message[, errorCode]}.
type fake struct {
	t        testing.TB
	api      *providertest.Server
	download *providertest.Server
	domain   string

	mu        sync.Mutex
	users     []fakeUser
	roles     []fakeGroup
	orgs      []fakeGroup
	listLimit int // offset-paging cap (Auth0: 1000)
	// pollsBeforeDone is how many job polls answer "processing" before "completed".
	pollsBeforeDone int
	jobs            map[string]int  // job id → polls so far
	valid           map[string]bool // access tokens issued and not revoked (each JWT stays valid until it expires)
	tokens          int             // tokens issued
	secret          string
	counts          providertest.Counter // requests by endpoint label
	// fault, when set, may answer a request instead of the API (429, 5xx). endpoint is the
	// label; n is the request's 1-based number at that endpoint.
	fault func(w http.ResponseWriter, endpoint string, n int) bool
	// leaked counts download requests that carried credentials.
	leaked int
}

type fakeUser struct {
	ID, Email, Name, Connection string
	Blocked                     bool
}

type fakeGroup struct {
	ID, Name, Description string
	Members               []string
}

const (
	fakeClientID = "m2m-client"
	fakeSecret   = "s3cret-value-never-logged"
)

func newFake(t testing.TB) *fake {
	f := &fake{t: t, domain: "example.us.auth0.com", listLimit: 1000, pollsBeforeDone: 2,
		jobs: map[string]int{}, valid: map[string]bool{}, secret: fakeSecret}
	f.api = providertest.NewServer(t, http.HandlerFunc(f.serveAPI))
	f.download = providertest.NewServer(t, http.HandlerFunc(f.serveDownload))
	return f
}

// options returns provider options pointing at the fake.
func (f *fake) options() Options {
	return Options{Domain: f.domain, ClientID: fakeClientID, ClientSecret: fakeSecret, APIURL: f.api.URL}
}

// revoke invalidates every access token issued so far (a rotated signing key, a revoked grant).
func (f *fake) revoke() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.valid)
}

// apiError writes Auth0's Management API error body.
func apiError(w http.ResponseWriter, status int, message, code string) {
	body := map[string]any{"statusCode": status, "error": http.StatusText(status), "message": message}
	if code != "" {
		body["errorCode"] = code
	}
	providertest.WriteJSON(w, status, body)
}

// endpointOf labels a request like the provider does.
func endpointOf(r *http.Request) string {
	p := strings.TrimPrefix(r.URL.Path, "/api/v2/")
	parts := strings.Split(p, "/")
	switch {
	case r.URL.Path == "/oauth/token":
		return "token"
	case p == "users":
		return "users"
	case p == "jobs/users-exports":
		return "users export"
	case len(parts) == 2 && parts[0] == "jobs":
		return "users export job"
	case p == "roles":
		return "roles"
	case len(parts) == 3 && parts[0] == "roles" && parts[2] == "users":
		return "role members"
	case p == "organizations":
		return "organizations"
	case len(parts) == 3 && parts[0] == "organizations" && parts[2] == "members":
		return "organization members"
	}
	return "unknown"
}

func (f *fake) serveAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8") // every JSON reply
	endpoint := endpointOf(r)
	f.mu.Lock()
	n := f.counts.Add(endpoint)
	fault := f.fault
	f.mu.Unlock()
	// Auth0 reports its rate limit on every Management API response (Reset: epoch seconds).
	w.Header().Set("X-RateLimit-Limit", "50")
	w.Header().Set("X-RateLimit-Remaining", "49")
	w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Second).Unix(), 10))
	if fault != nil && fault(w, endpoint, n) {
		return
	}
	if endpoint == "token" {
		f.serveToken(w, r)
		return
	}
	f.mu.Lock()
	tok, bearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	valid := bearer && f.valid[tok]
	f.mu.Unlock()
	if !valid {
		providertest.WriteJSON(w, http.StatusUnauthorized, map[string]any{"statusCode": 401, "error": "Unauthorized",
			"message": "Invalid token", "attributes": map[string]string{"error": "Invalid token"}})
		return
	}
	q := r.URL.Query()
	switch {
	case endpoint == "users" && r.Method == http.MethodGet:
		f.serveUsers(w, q)
	case endpoint == "users export" && r.Method == http.MethodPost:
		f.serveExportCreate(w, r)
	case endpoint == "users export job" && r.Method == http.MethodGet:
		f.serveJob(w, strings.TrimPrefix(r.URL.Path, "/api/v2/jobs/"))
	case endpoint == "roles" && r.Method == http.MethodGet:
		f.serveRoles(w, q)
	case endpoint == "role members" && r.Method == http.MethodGet:
		f.serveMembers(w, q, false, strings.Split(r.URL.Path, "/")[4])
	case endpoint == "organizations" && r.Method == http.MethodGet:
		f.serveOrgs(w, q)
	case endpoint == "organization members" && r.Method == http.MethodGet:
		f.serveMembers(w, q, true, strings.Split(r.URL.Path, "/")[4])
	default:
		apiError(w, http.StatusNotFound, "Not Found", "")
	}
}

// serveToken implements POST /oauth/token for the client-credentials grant, form-encoded
// (Auth0 also takes JSON; the provider sends a form).
func (f *fake) serveToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		providertest.OAuthError(w, http.StatusBadRequest, "invalid_request", "unexpected request")
		return
	}
	if err := r.ParseForm(); err != nil {
		providertest.OAuthError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	switch {
	case r.PostForm.Get("grant_type") != "client_credentials":
		providertest.OAuthError(w, http.StatusForbidden, "unauthorized_client", "Grant type not allowed")
	case r.PostForm.Get("client_id") != fakeClientID || r.PostForm.Get("client_secret") != f.secret:
		providertest.OAuthError(w, http.StatusUnauthorized, "access_denied", "Unauthorized")
	case r.PostForm.Get("audience") != "https://"+f.domain+"/api/v2/":
		providertest.OAuthError(w, http.StatusForbidden, "access_denied",
			fmt.Sprintf("Service not enabled within domain: %s", r.PostForm.Get("audience")))
	default:
		f.mu.Lock()
		f.tokens++
		tok := "at-" + strconv.Itoa(f.tokens)
		f.valid[tok] = true
		f.mu.Unlock()
		providertest.WriteJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 86400,
			"scope": "read:users read:roles read:role_members read:organizations read:organization_members"})
	}
}

// offset reads per_page and page as Auth0 checks them; ok is false when an error was written.
func (f *fake) offset(w http.ResponseWriter, q map[string][]string) (perPage, page int, ok bool) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	perPage, page = 50, 0
	if v := get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			apiError(w, http.StatusBadRequest, "Query validation error: 'Too large (or too small)' on property per_page (Number of results per page).", "invalid_query_string")
			return 0, 0, false
		}
		perPage = n
	}
	if v := get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			apiError(w, http.StatusBadRequest, "Query validation error: 'Too small' on property page (Page index of the results to return. First page is 0.).", "invalid_query_string")
			return 0, 0, false
		}
		page = n
	}
	f.mu.Lock()
	limit := f.listLimit
	f.mu.Unlock()
	if page*perPage+perPage > limit {
		apiError(w, http.StatusBadRequest, fmt.Sprintf("You can only page through the first %d records. See https://auth0.com/docs/users/search/v3/view-search-results-by-page#limitation", limit), "")
		return 0, 0, false
	}
	return perPage, page, true
}

func (f *fake) serveUsers(w http.ResponseWriter, q map[string][]string) {
	perPage, page, ok := f.offset(w, q)
	if !ok {
		return
	}
	f.mu.Lock()
	users := slices.Clone(f.users)
	f.mu.Unlock()
	start := min(page*perPage, len(users))
	end := min(start+perPage, len(users))
	out := []map[string]any{}
	for _, u := range users[start:end] {
		out = append(out, map[string]any{"user_id": u.ID, "email": u.Email, "name": u.Name, "nickname": strings.Split(u.Email, "@")[0],
			"blocked": u.Blocked, "identities": []map[string]any{{"connection": u.Connection, "provider": "auth0", "isSocial": false}}})
	}
	providertest.WriteJSON(w, http.StatusOK, map[string]any{"start": start, "limit": perPage, "length": len(out), "total": len(users), "users": out})
}

func (f *fake) serveExportCreate(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Format string `json:"format"`
		Fields []struct {
			Name     string `json:"name"`
			ExportAs string `json:"export_as"`
		} `json:"fields"`
	}
	if r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&body) != nil {
		apiError(w, http.StatusBadRequest, "Payload validation error: 'Invalid JSON'", "invalid_body")
		return
	}
	if body.Format != "json" && body.Format != "csv" {
		apiError(w, http.StatusBadRequest, "Payload validation error: 'No enum match for: "+body.Format+"' on property format.", "invalid_body")
		return
	}
	f.mu.Lock()
	id := fmt.Sprintf("job_%016d", len(f.jobs)+1)
	f.jobs[id] = 0
	f.mu.Unlock()
	providertest.WriteJSON(w, http.StatusCreated, map[string]any{"type": "users_export", "status": "pending", "format": body.Format,
		"created_at": time.Now().UTC().Format(time.RFC3339), "id": id, "fields": body.Fields})
}

func (f *fake) serveJob(w http.ResponseWriter, id string) {
	f.mu.Lock()
	polls, known := f.jobs[id]
	f.jobs[id] = polls + 1
	done := polls+1 > f.pollsBeforeDone
	f.mu.Unlock()
	if !known {
		apiError(w, http.StatusNotFound, "The job does not exist.", "inexistent_job")
		return
	}
	if !done {
		providertest.WriteJSON(w, http.StatusOK, map[string]any{"type": "users_export", "status": "processing", "id": id, "format": "json", "percentage_done": 50})
		return
	}
	providertest.WriteJSON(w, http.StatusOK, map[string]any{"type": "users_export", "status": "completed", "id": id, "format": "json",
		"location": f.download.URL + "/exports/" + id + "/example.json.gz?X-Amz-Expires=60&X-Amz-Signature=abc"})
}

// serveDownload serves an export file the way the pre-signed storage URL does: it needs no
// credentials, and the provider must not send its token there.
func (f *fake) serveDownload(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.counts.Add("users export download")
	if r.Header.Get("Authorization") != "" {
		f.leaked++
	}
	users := slices.Clone(f.users)
	f.mu.Unlock()
	type line struct {
		UserID     string `json:"user_id"`
		Email      string `json:"email"`
		Name       string `json:"name"`
		Nickname   string `json:"nickname"`
		Blocked    bool   `json:"blocked"`
		Connection string `json:"connection"`
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	enc := json.NewEncoder(zw)
	for _, u := range users {
		_ = enc.Encode(line{UserID: u.ID, Email: u.Email, Name: u.Name, Nickname: strings.Split(u.Email, "@")[0],
			Blocked: u.Blocked, Connection: u.Connection})
	}
	_ = zw.Close()
	w.Header().Set("Content-Type", "application/gzip")
	_, _ = w.Write(buf.Bytes())
}

func (f *fake) serveRoles(w http.ResponseWriter, q map[string][]string) {
	perPage, page, ok := f.offset(w, q)
	if !ok {
		return
	}
	f.mu.Lock()
	roles := slices.Clone(f.roles)
	f.mu.Unlock()
	start := min(page*perPage, len(roles))
	end := min(start+perPage, len(roles))
	out := []map[string]any{}
	for _, r := range roles[start:end] {
		out = append(out, map[string]any{"id": r.ID, "name": r.Name, "description": r.Description})
	}
	providertest.WriteJSON(w, http.StatusOK, map[string]any{"start": start, "limit": perPage, "total": len(roles), "roles": out})
}

// checkpointWindow reads take and from (an opaque checkpoint) and returns the window
// [start, end) and the next checkpoint ("" at the end); ok is false when an error was written.
func checkpointWindow(w http.ResponseWriter, q map[string][]string, n int) (start, end int, next string, ok bool) {
	take := 50
	if v := q["take"]; len(v) > 0 {
		t, err := strconv.Atoi(v[0])
		if err != nil || t < 1 || t > 100 {
			apiError(w, http.StatusBadRequest, "Query validation error: 'Too large (or too small)' on property take.", "invalid_query_string")
			return 0, 0, "", false
		}
		take = t
	}
	if v := q["from"]; len(v) > 0 {
		b, err := base64.RawURLEncoding.DecodeString(v[0])
		s, err2 := strconv.Atoi(string(b))
		if err != nil || err2 != nil || s < 0 || s > n {
			apiError(w, http.StatusBadRequest, "Invalid checkpoint", "invalid_query_string")
			return 0, 0, "", false
		}
		start = s
	}
	end = min(start+take, n)
	if end < n {
		next = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end)))
	}
	return start, end, next, true
}

func (f *fake) serveMembers(w http.ResponseWriter, q map[string][]string, orgs bool, id string) {
	f.mu.Lock()
	groups, key := f.roles, "users"
	if orgs {
		groups, key = f.orgs, "members"
	}
	i := slices.IndexFunc(groups, func(g fakeGroup) bool { return g.ID == id })
	var members []string
	if i >= 0 {
		members = slices.Clone(groups[i].Members)
	}
	f.mu.Unlock()
	if i < 0 {
		apiError(w, http.StatusNotFound, "The role does not exist.", "inexistent_role")
		return
	}
	if len(q["take"]) == 0 {
		apiError(w, http.StatusBadRequest, "this fake only implements checkpoint pagination", "")
		return
	}
	start, end, next, ok := checkpointWindow(w, q, len(members))
	if !ok {
		return
	}
	out := []map[string]any{}
	for _, m := range members[start:end] {
		out = append(out, map[string]any{"user_id": m, "email": m + "@example.com", "name": m, "picture": "https://example.com/p.png"})
	}
	body := map[string]any{key: out}
	if next != "" {
		body["next"] = next
	}
	providertest.WriteJSON(w, http.StatusOK, body)
}

func (f *fake) serveOrgs(w http.ResponseWriter, q map[string][]string) {
	f.mu.Lock()
	orgs := slices.Clone(f.orgs)
	f.mu.Unlock()
	start, end, next, ok := checkpointWindow(w, q, len(orgs))
	if !ok {
		return
	}
	out := []map[string]any{}
	for _, o := range orgs[start:end] {
		out = append(out, map[string]any{"id": o.ID, "name": o.Description, "display_name": o.Name})
	}
	body := map[string]any{"organizations": out}
	if next != "" {
		body["next"] = next
	}
	providertest.WriteJSON(w, http.StatusOK, body)
}

// populate fills the fake with n users and g roles; user i is in roles i%g, (i+1)%g and
// (i+7)%g, and every third user is blocked.
func (f *fake) populate(n, g int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users = make([]fakeUser, n)
	for i := range n {
		f.users[i] = fakeUser{ID: fmt.Sprintf("auth0|%024d", i), Email: fmt.Sprintf("user%d@example.com", i),
			Name: fmt.Sprintf("User %d", i), Connection: "Username-Password-Authentication", Blocked: i%3 == 0}
	}
	f.roles = make([]fakeGroup, g)
	for j := range g {
		f.roles[j] = fakeGroup{ID: fmt.Sprintf("rol_%016d", j), Name: fmt.Sprintf("Role %d", j)}
	}
	for i := range n {
		for _, j := range []int{i % g, (i + 1) % g, (i + 7) % g} {
			if !slices.Contains(f.roles[j].Members, f.users[i].ID) {
				f.roles[j].Members = append(f.roles[j].Members, f.users[i].ID)
			}
		}
	}
}

// setFault installs fn (nil: none) under the fake's lock: a request of a failed run may
// still be in flight.
func (f *fake) setFault(fn func(w http.ResponseWriter, endpoint string, n int) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fault = fn
}
