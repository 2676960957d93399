package okta

import (
	"crypto"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dirsync/dirsync/providers/providertest"
	"github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
)

// fakeOkta is an Okta org's management API as its public documentation describes it:
//
//   - GET /api/v1/users lists users but the DEPROVISIONED ones; with filter= (lastUpdated
//     gt "T", id eq "X", joined by or) it lists matching users of every status;
//   - GET /api/v1/groups lists groups; filter= takes lastUpdated gt "T" and
//     lastMembershipUpdated gt "T" joined by or;
//   - GET /api/v1/groups/{id}/users lists a group's members (every status), 404 E0000007
//     for an unknown group;
//   - GET /api/v1/users/{id}/groups lists the groups of a user (scope okta.users.read),
//     404 E0000007 for an unknown user;
//   - pages of at most 200 (limit=), ordered by id, the next page in a Link rel="next"
//     header carrying the after= cursor;
//   - every API response carries X-Rate-Limit-Limit/-Remaining/-Reset (Unix seconds) and a
//     Date from the org's clock; errors are Okta's {errorCode, errorSummary, …} bodies;
//   - auth: "Authorization: SSWS <api token>", or "Authorization: Bearer <access token>"
//     from POST /oauth2/v1/token (client_credentials, private_key_jwt client assertion
//     signed by the registered key, scopes okta.users.read / okta.groups.read).
//
// Its clock moves only with mutations: each mutation happens ten minutes after the last
// and is followed by ten quiet minutes, so a run after it sees it as settled.
type fakeOkta struct {
	srv *providertest.Server

	mu       sync.Mutex
	now      time.Time
	users    map[string]*fakeUser
	groups   map[string]*fakeGroup
	members  map[string]map[string]bool // group id → user ids
	apiToken string                     // SSWS auth when set
	clientID string                     // service app auth when set
	key      crypto.PublicKey
	kid      string
	tokens   map[string][]string // access token → granted scopes
	// revokeAfter, when > 0, counts down API requests; at zero every access token is
	// revoked (as when a token expires mid-run).
	revokeAfter int
	vanishing   map[string]bool // groups deleted just after they are next listed
	faults      []*fault
	requests    providertest.Counter // by endpoint: users, groups, group members, token
	assertions  []assertion          // client assertions accepted
	sorted      map[string][]string  // cached sorted ids: "users", "groups", "members <gid>"
	rendered    map[string][]byte    // cached JSON of users and groups by id
}

type fakeUser struct {
	ID, Status, Login, Email, First, Last string
	Created, LastUpdated                  time.Time
}

type fakeGroup struct {
	ID, Name, Description, Type        string
	LastUpdated, LastMembershipUpdated time.Time
}

// fault answers requests nth to nth+times-1 of endpoint with status (and Okta's error body
// for code).
type fault struct {
	endpoint    string
	nth, times  int
	status      int
	code, msg   string
	header      map[string]string
	hit         int
	resetInSecs int // X-Rate-Limit-Reset = now + this (429s)
}

// assertion is what the token endpoint saw of one client assertion.
type assertion struct {
	kid, alg string
	scopes   []string
}

func newFakeOkta(t testing.TB) *fakeOkta {
	f := &fakeOkta{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), users: map[string]*fakeUser{},
		groups: map[string]*fakeGroup{}, members: map[string]map[string]bool{}, tokens: map[string][]string{},
		vanishing: map[string]bool{}, sorted: map[string][]string{}, rendered: map[string][]byte{}}
	f.srv = providertest.NewServer(t, http.HandlerFunc(f.serve))
	return f
}

// --- the directory ---

// sortedIDs returns the cached sorted ids under key, or sorts and caches those of ids().
// Every mutation drops the cache.
func (f *fakeOkta) sortedIDs(key string, keys func() []string) []string {
	if s, ok := f.sorted[key]; ok {
		return s
	}
	ids := keys()
	slices.Sort(ids)
	f.sorted[key] = ids
	return ids
}

// change advances the clock to the next mutation and returns its time.
func (f *fakeOkta) change() time.Time {
	clear(f.sorted)
	clear(f.rendered)
	f.now = f.now.Add(10 * time.Minute)
	at := f.now
	f.now = f.now.Add(10 * time.Minute)
	return at
}

func (f *fakeOkta) addUser(id, status string, groups ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	at := f.change()
	f.users[id] = &fakeUser{ID: id, Status: status, Login: id + "@example.com", Email: id + "@example.com",
		First: "First " + id, Last: "Last " + id, Created: at, LastUpdated: at}
	for _, g := range groups {
		f.addMemberLocked(g, id, at)
	}
}

// putUsers adds many users at once without moving the clock (big directories).
func (f *fakeOkta) putUser(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.sorted)
	clear(f.rendered)
	f.users[id] = &fakeUser{ID: id, Status: "ACTIVE", Login: id + "@example.com", Email: id + "@example.com",
		First: "First " + id, Last: "Last " + id, Created: f.now, LastUpdated: f.now}
}

// editLate renames user id with a lastUpdated ago before the clock: a change that
// became visible late.
func (f *fakeOkta) editLate(id, first string, ago time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.sorted)
	clear(f.rendered)
	u := f.users[id]
	u.First, u.LastUpdated = first, f.now.Add(-ago)
}

func (f *fakeOkta) setStatus(id, status string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u := f.users[id]
	u.Status, u.LastUpdated = status, f.change()
}

// deleteUser deletes a (deactivated) user: Okta removes it from its groups.
func (f *fakeOkta) deleteUser(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	at := f.change()
	delete(f.users, id)
	for gid, m := range f.members {
		if m[id] {
			delete(m, id)
			f.groups[gid].LastMembershipUpdated = at
		}
	}
}

func (f *fakeOkta) addGroup(id, name, description string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	at := f.change()
	f.groups[id] = &fakeGroup{ID: id, Name: name, Description: description, Type: "OKTA_GROUP", LastUpdated: at, LastMembershipUpdated: at}
	f.members[id] = map[string]bool{}
}

func (f *fakeOkta) renameGroup(id, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	g := f.groups[id]
	g.Name, g.LastUpdated = name, f.change()
}

func (f *fakeOkta) addMember(gid, uid string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.addMemberLocked(gid, uid, f.change())
}

func (f *fakeOkta) addMemberLocked(gid, uid string, at time.Time) {
	f.members[gid][uid] = true
	f.groups[gid].LastMembershipUpdated = at
}

func (f *fakeOkta) removeMember(gid, uid string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.members[gid], uid)
	f.groups[gid].LastMembershipUpdated = f.change()
}

func (f *fakeOkta) deleteGroup(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.change()
	delete(f.groups, id)
	delete(f.members, id)
}

// deleteGroupDuringRun removes a member from group id (so a delta lists it) and deletes
// the group as soon as it has been listed, before its members are read.
func (f *fakeOkta) deleteGroupDuringRun(id, member string) {
	f.removeMember(id, member)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.vanishing[id] = true
}

func (f *fakeOkta) inject(ft *fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, ft)
}

func (f *fakeOkta) clearFaults() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = nil
}

// --- the API ---

func (f *fakeOkta) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	endpoint, gid := route(r)
	if endpoint == "" {
		f.fail(w, http.StatusNotFound, "E0000022", "The endpoint does not support the provided HTTP method", nil)
		return
	}
	n := f.requests.Add(endpoint)
	if endpoint == "token" {
		f.token(w, r)
		return
	}
	w.Header().Set("Date", f.now.Format(http.TimeFormat))
	w.Header().Set("X-Rate-Limit-Limit", "600")
	w.Header().Set("X-Rate-Limit-Remaining", "599")
	w.Header().Set("X-Rate-Limit-Reset", strconv.FormatInt(time.Now().Add(time.Minute).Unix(), 10))
	for _, ft := range f.faults {
		if ft.endpoint == endpoint && n >= ft.nth && n < ft.nth+ft.times {
			ft.hit++
			for k, v := range ft.header {
				w.Header().Set(k, v)
			}
			if ft.status == http.StatusTooManyRequests {
				w.Header().Set("X-Rate-Limit-Remaining", "0")
				w.Header().Set("X-Rate-Limit-Reset", strconv.FormatInt(time.Now().Unix()+int64(ft.resetInSecs), 10))
			}
			f.fail(w, ft.status, ft.code, ft.msg, nil)
			return
		}
	}
	if !f.authorized(w, r, endpoint) {
		return
	}
	if f.revokeAfter > 0 {
		if f.revokeAfter--; f.revokeAfter == 0 {
			clear(f.tokens)
		}
	}
	q := r.URL.Query()
	limit := 200
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			f.fail(w, http.StatusBadRequest, "E0000001", "Api validation failed: limit", nil)
			return
		}
		limit = min(n, 200)
	}
	var ids []string                  // matching object ids, sorted
	var render func(id string) []byte // an object's JSON
	switch endpoint {
	case "users":
		match, ok := userFilter(q.Get("filter"))
		if !ok {
			f.fail(w, http.StatusBadRequest, "E0000031", "Invalid search criteria.", nil)
			return
		}
		for _, id := range f.sortedIDs("users", func() []string { return slices.Collect(maps.Keys(f.users)) }) {
			if match(f.users[id]) {
				ids = append(ids, id)
			}
		}
		render = f.userJSON
	case "groups":
		match, ok := groupFilter(q.Get("filter"))
		if !ok {
			f.fail(w, http.StatusBadRequest, "E0000031", "Invalid search criteria.", nil)
			return
		}
		for _, id := range f.sortedIDs("groups", func() []string { return slices.Collect(maps.Keys(f.groups)) }) {
			if match(f.groups[id]) {
				ids = append(ids, id)
			}
		}
		render = f.groupJSON
	case "user groups":
		uid := gid
		if f.users[uid] == nil {
			f.fail(w, http.StatusNotFound, "E0000007", "Not found: Resource not found: "+uid+" (User)", nil)
			return
		}
		for _, id := range f.sortedIDs("groups", func() []string { return slices.Collect(maps.Keys(f.groups)) }) {
			if f.members[id][uid] {
				ids = append(ids, id)
			}
		}
		render = f.groupJSON
	case "group members":
		if _, ok := f.groups[gid]; !ok || f.vanishing[gid] {
			if f.vanishing[gid] {
				clear(f.sorted)
				clear(f.rendered)
				delete(f.groups, gid)
				delete(f.members, gid)
				delete(f.vanishing, gid)
			}
			f.fail(w, http.StatusNotFound, "E0000007", "Not found: Resource not found: "+gid+" (UserGroup)", nil)
			return
		}
		for _, id := range f.sortedIDs("members "+gid, func() []string { return slices.Collect(maps.Keys(f.members[gid])) }) {
			if f.users[id] != nil {
				ids = append(ids, id)
			}
		}
		render = f.userJSON
	}
	start := 0
	if after := q.Get("after"); after != "" {
		start, _ = slices.BinarySearch(ids, after)
		if start < len(ids) && ids[start] == after {
			start++
		}
	}
	end := min(start+limit, len(ids))
	page := []byte{'['}
	for _, id := range ids[start:end] {
		if len(page) > 1 {
			page = append(page, ',')
		}
		page = append(page, render(id)...)
	}
	self := *r.URL
	self.Scheme, self.Host = "http", r.Host
	w.Header().Add("Link", fmt.Sprintf(`<%s>; rel="self"`, self.String()))
	if end < len(ids) {
		q.Set("after", ids[end-1])
		q.Set("limit", strconv.Itoa(limit))
		next := self
		next.RawQuery = q.Encode()
		w.Header().Add("Link", fmt.Sprintf(`<%s>; rel="next"`, next.String()))
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(append(page, ']'))
}

// route names the endpoint of r and the id in its path: the group of a member listing,
// the user of a group listing.
func route(r *http.Request) (endpoint, id string) {
	p := r.URL.Path
	switch {
	case r.Method == http.MethodPost && p == "/oauth2/v1/token":
		return "token", ""
	case r.Method != http.MethodGet:
		return "", ""
	case p == "/api/v1/users":
		return "users", ""
	case p == "/api/v1/groups":
		return "groups", ""
	}
	if rest, ok := strings.CutPrefix(p, "/api/v1/groups/"); ok {
		if id, ok := strings.CutSuffix(rest, "/users"); ok && id != "" && !strings.Contains(id, "/") {
			return "group members", id
		}
	}
	if rest, ok := strings.CutPrefix(p, "/api/v1/users/"); ok {
		if id, ok := strings.CutSuffix(rest, "/groups"); ok && id != "" && !strings.Contains(id, "/") {
			return "user groups", id
		}
	}
	return "", ""
}

// authorized checks the Authorization header as Okta does, and the scope of an access
// token for the endpoint.
func (f *fakeOkta) authorized(w http.ResponseWriter, r *http.Request, endpoint string) bool {
	h := r.Header.Get("Authorization")
	if f.apiToken != "" {
		if h != "SSWS "+f.apiToken {
			f.fail(w, http.StatusUnauthorized, "E0000011", "Invalid token provided", nil)
			return false
		}
		return true
	}
	tok, ok := strings.CutPrefix(h, "Bearer ")
	granted, known := f.tokens[tok]
	if !ok || !known {
		w.Header().Set("WWW-Authenticate", `Bearer authorization_uri="http://`+r.Host+`/oauth2/v1/authorize", realm="http://`+r.Host+`", scope="okta.users.read", error="invalid_token", error_description="The access token is invalid.", resource="/api/v1/users"`)
		f.fail(w, http.StatusUnauthorized, "E0000011", "Invalid token provided", nil)
		return false
	}
	need := "okta.groups.read"
	if endpoint == "users" || endpoint == "user groups" {
		need = "okta.users.read"
	}
	if !slices.Contains(granted, need) {
		f.fail(w, http.StatusForbidden, "E0000006", "You do not have permission to perform the requested action", nil)
		return false
	}
	return true
}

// token is POST /oauth2/v1/token for a service app: client_credentials authenticated by a
// private_key_jwt client assertion.
func (f *fakeOkta) token(w http.ResponseWriter, r *http.Request) {
	if f.clientID == "" {
		providertest.OAuthError(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed.")
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		providertest.OAuthError(w, http.StatusBadRequest, "invalid_request", "The request Content-Type must be application/x-www-form-urlencoded.")
		return
	}
	if err := r.ParseForm(); err != nil || len(r.URL.Query()) > 0 {
		providertest.OAuthError(w, http.StatusBadRequest, "invalid_request", "The request must be a form in the body.")
		return
	}
	if r.PostForm.Get("grant_type") != "client_credentials" {
		providertest.OAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "The authorization grant type is not supported by the authorization server.")
		return
	}
	if r.PostForm.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
		providertest.OAuthError(w, http.StatusBadRequest, "invalid_client", "The client_assertion_type is invalid.")
		return
	}
	if id := r.PostForm.Get("client_id"); id != "" && id != f.clientID {
		providertest.OAuthError(w, http.StatusUnauthorized, "invalid_client", "The client_id does not match the client assertion.")
		return
	}
	jws, err := josejwt.ParseSigned(r.PostForm.Get("client_assertion"), []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
	if err != nil || len(jws.Headers) != 1 {
		providertest.OAuthError(w, http.StatusBadRequest, "invalid_client", "The client_assertion is not a signed JWT.")
		return
	}
	hdr := jws.Headers[0]
	if f.kid != "" && hdr.KeyID != f.kid {
		providertest.OAuthError(w, http.StatusBadRequest, "invalid_client", "The client_assertion signature is invalid (unknown kid).")
		return
	}
	var claims josejwt.Claims
	if err := jws.Claims(f.key, &claims); err != nil {
		providertest.OAuthError(w, http.StatusBadRequest, "invalid_client", "The client_assertion signature is invalid.")
		return
	}
	tokenURL := "http://" + r.Host + "/oauth2/v1/token"
	if err := claims.ValidateWithLeeway(josejwt.Expected{Issuer: f.clientID, Subject: f.clientID,
		AnyAudience: josejwt.Audience{tokenURL}, Time: time.Now()}, 0); err != nil || claims.ID == "" || claims.Expiry == nil {
		providertest.OAuthError(w, http.StatusBadRequest, "invalid_client", "The client_assertion token is invalid: iss, sub, aud, exp or jti.")
		return
	}
	requested := strings.Fields(r.PostForm.Get("scope"))
	if len(requested) == 0 {
		providertest.OAuthError(w, http.StatusBadRequest, "invalid_scope", "The authorization server resource does not have any configured default scopes, 'scope' must be provided.")
		return
	}
	for _, s := range requested {
		if s != "okta.users.read" && s != "okta.groups.read" {
			providertest.OAuthError(w, http.StatusBadRequest, "invalid_scope", "The following scopes are not allowed: "+s)
			return
		}
	}
	f.assertions = append(f.assertions, assertion{kid: hdr.KeyID, alg: hdr.Algorithm, scopes: requested})
	var b [16]byte
	_, _ = rand.Read(b[:])
	tok := hex.EncodeToString(b[:])
	f.tokens[tok] = requested
	w.Header().Set("Cache-Control", "no-store")
	providertest.WriteJSON(w, http.StatusOK, map[string]any{"token_type": "Bearer", "expires_in": 3600,
		"access_token": tok, "scope": strings.Join(requested, " ")})
}

// fail writes Okta's error body.
func (f *fakeOkta) fail(w http.ResponseWriter, status int, code, summary string, causes []string) {
	c := make([]map[string]string, len(causes))
	for i, s := range causes {
		c[i] = map[string]string{"errorSummary": s}
	}
	providertest.WriteJSON(w, status, map[string]any{"errorCode": code, "errorSummary": summary, "errorLink": code,
		"errorId": "oae" + strconv.Itoa(status), "errorCauses": c})
}

// userFilter parses the users filter expressions the fake supports: terms `lastUpdated gt
// "T"`, `status eq "S"` and `id eq "X"` joined by or. No filter lists all users but the
// deactivated ones, as Okta does.
func userFilter(expr string) (func(*fakeUser) bool, bool) {
	if expr == "" {
		return func(u *fakeUser) bool { return u.Status != "DEPROVISIONED" }, true
	}
	var terms []func(*fakeUser) bool
	for _, term := range strings.Split(expr, " or ") {
		attr, value, ok := parseTerm(term)
		if !ok {
			return nil, false
		}
		switch attr {
		case "lastUpdated gt":
			t, err := time.Parse("2006-01-02T15:04:05.000Z", value)
			if err != nil {
				return nil, false
			}
			terms = append(terms, func(u *fakeUser) bool { return u.LastUpdated.After(t) })
		case "id eq":
			terms = append(terms, func(u *fakeUser) bool { return u.ID == value })
		case "status eq":
			terms = append(terms, func(u *fakeUser) bool { return u.Status == value })
		default:
			return nil, false
		}
	}
	return func(u *fakeUser) bool {
		return slices.ContainsFunc(terms, func(m func(*fakeUser) bool) bool { return m(u) })
	}, true
}

// groupFilter parses `lastUpdated gt "T"` and `lastMembershipUpdated gt "T"` joined by or.
func groupFilter(expr string) (func(*fakeGroup) bool, bool) {
	if expr == "" {
		return func(*fakeGroup) bool { return true }, true
	}
	var terms []func(*fakeGroup) bool
	for _, term := range strings.Split(expr, " or ") {
		attr, value, ok := parseTerm(term)
		if !ok {
			return nil, false
		}
		t, err := time.Parse("2006-01-02T15:04:05.000Z", value)
		if err != nil {
			return nil, false
		}
		switch attr {
		case "lastUpdated gt":
			terms = append(terms, func(g *fakeGroup) bool { return g.LastUpdated.After(t) })
		case "lastMembershipUpdated gt":
			terms = append(terms, func(g *fakeGroup) bool { return g.LastMembershipUpdated.After(t) })
		default:
			return nil, false
		}
	}
	return func(g *fakeGroup) bool {
		return slices.ContainsFunc(terms, func(m func(*fakeGroup) bool) bool { return m(g) })
	}, true
}

// parseTerm splits `attr op "value"` into "attr op" and value.
func parseTerm(term string) (attrOp, value string, ok bool) {
	fields := strings.SplitN(strings.TrimSpace(term), " ", 3)
	if len(fields) != 3 || len(fields[2]) < 2 || fields[2][0] != '"' || fields[2][len(fields[2])-1] != '"' {
		return "", "", false
	}
	return fields[0] + " " + fields[1], fields[2][1 : len(fields[2])-1], true
}

func oktaTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// oktaUser is Okta's User object.
type oktaUser struct {
	ID              string  `json:"id"`
	Status          string  `json:"status"`
	Created         string  `json:"created"`
	Activated       string  `json:"activated"`
	StatusChanged   string  `json:"statusChanged"`
	LastLogin       *string `json:"lastLogin"`
	LastUpdated     string  `json:"lastUpdated"`
	PasswordChanged string  `json:"passwordChanged"`
	Type            struct {
		ID string `json:"id"`
	} `json:"type"`
	Profile struct {
		FirstName   string  `json:"firstName"`
		LastName    string  `json:"lastName"`
		MobilePhone *string `json:"mobilePhone"`
		SecondEmail *string `json:"secondEmail"`
		Login       string  `json:"login"`
		Email       string  `json:"email"`
	} `json:"profile"`
	Credentials struct {
		Password struct{} `json:"password"`
		Provider struct {
			Type string `json:"type"`
			Name string `json:"name"`
		} `json:"provider"`
	} `json:"credentials"`
	Links struct {
		Self struct {
			Href string `json:"href"`
		} `json:"self"`
	} `json:"_links"`
}

// userJSON returns the JSON of user id.
func (f *fakeOkta) userJSON(id string) []byte {
	if b, ok := f.rendered[id]; ok {
		return b
	}
	u := f.users[id]
	o := &oktaUser{ID: u.ID, Status: u.Status, Created: oktaTime(u.Created), Activated: oktaTime(u.Created),
		StatusChanged: oktaTime(u.LastUpdated), LastUpdated: oktaTime(u.LastUpdated), PasswordChanged: oktaTime(u.Created)}
	o.Type.ID = "otyfnjfba4ye7pgjB0g4"
	o.Profile.FirstName, o.Profile.LastName, o.Profile.Login, o.Profile.Email = u.First, u.Last, u.Login, u.Email
	o.Credentials.Provider.Type, o.Credentials.Provider.Name = "OKTA", "OKTA"
	o.Links.Self.Href = f.srv.URL + "/api/v1/users/" + url.PathEscape(u.ID)
	b, _ := json.Marshal(o)
	f.rendered[id] = b
	return b
}

// groupJSON returns the JSON of group id: Okta's Group object.
func (f *fakeOkta) groupJSON(id string) []byte {
	g := f.groups[id]
	self := f.srv.URL + "/api/v1/groups/" + url.PathEscape(g.ID)
	b, _ := json.Marshal(map[string]any{
		"id": g.ID, "created": oktaTime(g.LastUpdated), "lastUpdated": oktaTime(g.LastUpdated),
		"lastMembershipUpdated": oktaTime(g.LastMembershipUpdated), "objectClass": []string{"okta:user_group"},
		"type": g.Type, "profile": map[string]string{"name": g.Name, "description": g.Description},
		"_links": map[string]any{"self": map[string]string{"href": self}, "users": map[string]string{"href": self + "/users"}},
	})
	return b
}
