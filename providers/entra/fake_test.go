package entra

import (
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"fmt"
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

// fakeEntra is a Microsoft identity platform token endpoint and a Microsoft Graph serving
// /users/delta, /groups/delta and /servicePrincipals/delta, written from Microsoft's
// public documentation:
//
//   - Token: POST {login}/{tenant}/oauth2/v2.0/token, form grant_type=client_credentials,
//     client_id, scope={graph}/.default, and client_secret in the body or a
//     client_assertion (RS256 JWT, header x5t = SHA-1 thumbprint of the registered
//     certificate, aud = the token URL, iss = sub = client id). Errors are OAuth JSON
//     ({error, error_description}, AADSTS codes).
//   - Graph: "Authorization: Bearer <token>" with a token it issued (else 401
//     InvalidAuthenticationToken); error bodies {"error":{"code","message"}}.
//   - Delta rounds: a request without a state token must carry the $select the provider
//     needs; pages hold at most the Prefer: odata.maxpagesize the request asks (default
//     100, at most 999, and at most pageCap); @odata.nextLink carries a $skiptoken, the
//     last page an @odata.deltaLink with a $deltatoken naming the fake's version at the
//     round's start. A later round returns the objects changed since: changed users whole
//     (every property ever set), deleted ones as {"id", "@removed": {"reason": "deleted"}},
//     changed groups whole with members@delta holding the members added and removed
//     (@removed) since.
//   - Member paging (the docs' "Paging through members in a large group"): a page holds
//     at most maxpagesize entries, counting each group object once and each member
//     reference once; a group whose members do not fit continues on the next page as
//     another object of the same group (properties repeated, not counted again) with the
//     remaining members. So a round of G groups with M member references takes
//     ceil((G+M)/pagesize) pages.
//   - Expired delta tokens: after expire(status, code), any $deltatoken request gets
//     that status with {"error":{"code": code}}.
type fakeEntra struct {
	t        testing.TB
	tenant   string
	clientID string
	secret   string            // the accepted client secret, or ""
	cert     *x509.Certificate // the accepted certificate, or nil

	login, graph *providertest.Server

	mu       sync.Mutex
	version  int
	users    map[string]*fakeUser
	sps      map[string]*fakeUser
	groups   map[string]*fakeGroup
	tokens   map[string]bool
	rounds   map[string][][]any // skiptoken round id → pages of objects
	nRounds  int
	pageCap  int
	expired  *fakeError // answer to every $deltatoken request
	requests providertest.Counter
	urls     []string // graph URLs requested, in order
	// hook, when set, sees each Graph request first; it may answer it and return true.
	hook func(w http.ResponseWriter, r *http.Request, n int) bool
}

type fakeError struct {
	status int
	code   string
}

// fakeUser is a user or a service principal.
type fakeUser struct {
	props   map[string]any // Graph property → value; unset properties absent
	changed int
	deleted bool
}

type fakeGroup struct {
	props   map[string]any
	members map[string]string // id → @odata.type
	events  []memberEvent
	changed int
	deleted bool
}

type memberEvent struct {
	version int
	id, typ string
	added   bool
}

func newFakeEntra(t testing.TB) *fakeEntra {
	f := &fakeEntra{t: t, tenant: "8d3c4d6e-1f2a-4b5c-9d8e-7f6a5b4c3d2e", clientID: "6a1b2c3d-0000-4000-8000-00000000c1d0",
		secret: "s3cret~value", users: map[string]*fakeUser{}, sps: map[string]*fakeUser{}, groups: map[string]*fakeGroup{},
		tokens: map[string]bool{}, rounds: map[string][][]any{}, pageCap: 999}
	f.login = providertest.NewServer(t, http.HandlerFunc(f.serveToken))
	f.graph = providertest.NewServer(t, http.HandlerFunc(f.serveGraph))
	return f
}

// options are provider options pointing at the fake, with the client secret.
func (f *fakeEntra) options() Options {
	return Options{TenantID: f.tenant, ClientID: f.clientID, ClientSecret: f.secret,
		GraphURL: f.graph.URL, LoginURL: f.login.URL}
}

// resetCounts forgets the requests counted and the graph URLs requested.
func (f *fakeEntra) resetCounts() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests.Reset()
	f.urls = nil
}

// --- directory changes ---

func (f *fakeEntra) putUser(id string, props map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.version++
	f.users[id] = &fakeUser{props: props, changed: f.version}
}

// setUser changes some properties of a user.
func (f *fakeEntra) setUser(id string, props map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.version++
	u := f.users[id]
	for k, v := range props {
		u.props[k] = v
	}
	u.changed = f.version
}

func (f *fakeEntra) putServicePrincipal(id string, props map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.version++
	f.sps[id] = &fakeUser{props: props, changed: f.version}
}

// deleteUser deletes a user; like Entra it also leaves its groups.
func (f *fakeEntra) deleteUser(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.version++
	f.users[id].deleted, f.users[id].changed = true, f.version
	for _, g := range f.groups {
		if _, ok := g.members[id]; ok {
			f.memberChangeLocked(g, id, "", false)
		}
	}
}

func (f *fakeEntra) putGroup(id string, props map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.version++
	if g := f.groups[id]; g != nil {
		for k, v := range props {
			g.props[k] = v
		}
		g.changed = f.version
		return
	}
	f.groups[id] = &fakeGroup{props: props, members: map[string]string{}, changed: f.version}
}

func (f *fakeEntra) deleteGroup(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.version++
	f.groups[id].deleted, f.groups[id].changed = true, f.version
	for _, g := range f.groups {
		if _, ok := g.members[id]; ok && !g.deleted {
			f.memberChangeLocked(g, id, "", false)
		}
	}
}

// addMember adds a member of @odata.type typ ("user", "group", "servicePrincipal").
func (f *fakeEntra) addMember(group, id, typ string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.memberChangeLocked(f.groups[group], id, "#microsoft.graph."+typ, true)
}

func (f *fakeEntra) removeMember(group, id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.memberChangeLocked(f.groups[group], id, "", false)
}

func (f *fakeEntra) memberChangeLocked(g *fakeGroup, id, typ string, added bool) {
	f.version++
	if added {
		g.members[id] = typ
	} else {
		typ = g.members[id]
		delete(g.members, id)
	}
	g.events = append(g.events, memberEvent{version: f.version, id: id, typ: typ, added: added})
}

// expire makes every later $deltatoken request fail with status and Graph error code
// (status 0: succeed again).
func (f *fakeEntra) expire(status int, code string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.expired = nil
	if status != 0 {
		f.expired = &fakeError{status: status, code: code}
	}
}

// revokeTokens makes every issued access token invalid (as if expired).
func (f *fakeEntra) revokeTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.tokens)
}

// --- token endpoint ---

func (f *fakeEntra) serveToken(w http.ResponseWriter, r *http.Request) {
	f.requests.Add("token")
	oauthError := func(status int, code, desc string) {
		providertest.WriteJSON(w, status, map[string]any{"error": code, "error_description": desc, "error_codes": []int{7000215}})
	}
	tokenURL := f.login.URL + "/" + f.tenant + "/oauth2/v2.0/token"
	if r.Method != http.MethodPost || r.URL.Path != "/"+f.tenant+"/oauth2/v2.0/token" {
		oauthError(http.StatusNotFound, "invalid_request", "AADSTS90002: Tenant not found.")
		return
	}
	if r.Header.Get("Authorization") != "" || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		oauthError(http.StatusBadRequest, "invalid_request", "credentials must be in the form body")
		return
	}
	if err := r.ParseForm(); err != nil {
		oauthError(http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	form := r.PostForm
	switch {
	case form.Get("grant_type") != "client_credentials":
		oauthError(http.StatusBadRequest, "unsupported_grant_type", "AADSTS70003: grant_type")
		return
	case form.Get("client_id") != f.clientID:
		oauthError(http.StatusBadRequest, "unauthorized_client", "AADSTS700016: Application not found in the directory.")
		return
	case form.Get("scope") != f.graph.URL+"/.default":
		oauthError(http.StatusBadRequest, "invalid_scope", "AADSTS1002012: The provided value for scope "+form.Get("scope")+" is not valid.")
		return
	}
	if f.cert != nil {
		if err := f.checkAssertion(form, tokenURL); err != nil {
			oauthError(http.StatusUnauthorized, "invalid_client", "AADSTS700027: Client assertion failed signature validation: "+err.Error())
			return
		}
	} else if form.Get("client_secret") != f.secret || form.Has("client_assertion") {
		oauthError(http.StatusUnauthorized, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
		return
	}
	f.mu.Lock()
	tok := fmt.Sprintf("eyJ0eXAi.fake-%d", len(f.tokens)+f.requests.Count("token"))
	f.tokens[tok] = true
	f.mu.Unlock()
	providertest.WriteJSON(w, http.StatusOK, map[string]any{"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": tok})
}

func (f *fakeEntra) checkAssertion(form url.Values, tokenURL string) error {
	if form.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" || form.Has("client_secret") {
		return fmt.Errorf("client_assertion_type %q", form.Get("client_assertion_type"))
	}
	tok, err := josejwt.ParseSigned(form.Get("client_assertion"), []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return err
	}
	sum := sha1.Sum(f.cert.Raw)
	if x5t, _ := tok.Headers[0].ExtraHeaders["x5t"].(string); x5t != base64.RawURLEncoding.EncodeToString(sum[:]) {
		return fmt.Errorf("x5t %q does not name the certificate", x5t)
	}
	var claims josejwt.Claims
	if err := tok.Claims(f.cert.PublicKey, &claims); err != nil {
		return err
	}
	return claims.ValidateWithLeeway(josejwt.Expected{Issuer: f.clientID, Subject: f.clientID,
		AnyAudience: josejwt.Audience{tokenURL}, Time: time.Now()}, 0)
}

// --- Graph ---

func graphError(w http.ResponseWriter, status int, code, msg string) {
	providertest.WriteJSON(w, status, map[string]any{"error": map[string]any{"code": code, "message": msg,
		"innerError": map[string]any{"date": time.Now().UTC().Format(time.RFC3339), "request-id": "0b7c1c1e-fake"}}})
}

// wantSelect is the $select each collection's first round request must carry.
var wantSelect = map[string]string{
	"users":             "id,displayName,mail,userPrincipalName,givenName,surname,accountEnabled",
	"groups":            "id,displayName,mail,description,members",
	"servicePrincipals": "id,displayName,appId,accountEnabled,servicePrincipalType",
}

func (f *fakeEntra) serveGraph(w http.ResponseWriter, r *http.Request) {
	collection, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/v1.0/"), "/delta")
	f.mu.Lock()
	f.requests.Add(collection)
	f.urls = append(f.urls, r.URL.String())
	n := len(f.urls)
	hook := f.hook
	f.mu.Unlock()
	if hook != nil && hook(w, r, n) {
		return
	}
	if _, known := wantSelect[collection]; !ok || !known || r.Method != http.MethodGet {
		graphError(w, http.StatusBadRequest, "BadRequest", "Resource not found for the segment '"+r.URL.Path+"'.")
		return
	}
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	valid := f.tokens[tok]
	f.mu.Unlock()
	if !valid {
		graphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.")
		return
	}
	size := 100
	for _, pref := range strings.Split(r.Header.Get("Prefer"), ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(pref), "odata.maxpagesize="); ok {
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				size = min(n, 999)
			}
		}
	}
	q := r.URL.Query()
	f.mu.Lock()
	defer f.mu.Unlock()
	size = min(size, f.pageCap)
	var round string
	page := 0
	switch {
	case q.Has("$skiptoken"):
		var p string
		round, p, _ = strings.Cut(q.Get("$skiptoken"), ".")
		page, _ = strconv.Atoi(p)
		if _, ok := f.rounds[round]; !ok || page <= 0 || page >= len(f.rounds[round]) {
			graphError(w, http.StatusBadRequest, "Request_BadRequest", "Invalid skip token.")
			return
		}
	case q.Has("$deltatoken"):
		if f.expired != nil {
			graphError(w, f.expired.status, f.expired.code, "The delta token is expired or invalid. Start a new round without it.")
			return
		}
		since, err := strconv.Atoi(q.Get("$deltatoken"))
		if err != nil {
			graphError(w, http.StatusBadRequest, "syncStateNotFound", "The delta token is not valid.")
			return
		}
		round = f.startRoundLocked(collection, since, size)
	default:
		if q.Get("$select") != wantSelect[collection] {
			graphError(w, http.StatusBadRequest, "BadRequest", "unexpected $select "+q.Get("$select"))
			return
		}
		round = f.startRoundLocked(collection, 0, size)
	}
	pages := f.rounds[round]
	body := map[string]any{"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#" + collection, "value": pages[page]}
	base := f.graph.URL + "/v1.0/" + collection + "/delta?"
	if page+1 < len(pages) {
		body["@odata.nextLink"] = base + "$skiptoken=" + round + "." + strconv.Itoa(page+1)
	} else {
		body["@odata.deltaLink"] = base + "$deltatoken=" + strings.SplitN(round, "-", 2)[1]
	}
	providertest.WriteJSON(w, http.StatusOK, body)
}

// startRoundLocked computes the pages of a round of collection with the changes after
// version since (0: everything) and returns the round's id.
func (f *fakeEntra) startRoundLocked(collection string, since, size int) string {
	var pages [][]any
	switch collection {
	case "users", "servicePrincipals":
		objs := f.users
		if collection == "servicePrincipals" {
			objs = f.sps
		}
		var page []any
		for _, id := range sortedKeys(objs) {
			u := objs[id]
			if u.changed <= since || (since == 0 && u.deleted) {
				continue
			}
			obj := map[string]any{"id": id}
			if u.deleted {
				obj["@removed"] = map[string]any{"reason": "deleted"}
			} else {
				for k, v := range u.props {
					obj[k] = v
				}
			}
			page = append(page, obj)
			if len(page) == size {
				pages, page = append(pages, page), nil
			}
		}
		pages = append(pages, page)
	case "groups":
		pages = f.groupPagesLocked(since, size)
	}
	f.nRounds++
	id := fmt.Sprintf("r%d-%d", f.nRounds, f.version)
	for i := range pages {
		if pages[i] == nil {
			pages[i] = []any{}
		}
	}
	f.rounds[id] = pages
	return id
}

// groupPagesLocked pages the changed groups with their members@delta by the member-paging
// model of the type's comment.
func (f *fakeEntra) groupPagesLocked(since, size int) [][]any {
	var pages [][]any
	var page []any
	room := size
	flush := func() { pages, page, room = append(pages, page), nil, size }
	for _, id := range sortedKeys(f.groups) {
		g := f.groups[id]
		members := f.memberDeltaLocked(g, since)
		if since == 0 && g.deleted || g.changed <= since && len(members) == 0 {
			continue
		}
		if g.deleted {
			if room == 0 {
				flush()
			}
			page, room = append(page, map[string]any{"id": id, "@removed": map[string]any{"reason": "changed"}}), room-1
			continue
		}
		if room == 0 {
			flush()
		}
		room-- // the group object
		for first := true; first || len(members) > 0; first = false {
			if !first {
				flush()
			}
			obj := map[string]any{"id": id}
			for k, v := range g.props {
				obj[k] = v
			}
			take := min(len(members), room)
			if take > 0 {
				obj["members@delta"] = members[:take]
			}
			members, room = members[take:], room-take
			page = append(page, obj)
		}
	}
	return append(pages, page)
}

// memberDeltaLocked is g's members@delta after version since: every member for a first
// round; else the members added (now in, not at since) and removed (at since, not now).
func (f *fakeEntra) memberDeltaLocked(g *fakeGroup, since int) []any {
	entry := func(id, typ string, removed bool) any {
		m := map[string]any{"@odata.type": typ, "id": id}
		if removed {
			m["@removed"] = map[string]any{"reason": "deleted"}
		}
		return m
	}
	var out []any
	if since == 0 {
		for _, id := range sortedKeys(g.members) {
			out = append(out, entry(id, g.members[id], false))
		}
		return out
	}
	first := map[string]memberEvent{}
	for _, e := range g.events {
		if _, seen := first[e.id]; e.version > since && !seen {
			first[e.id] = e
		}
	}
	for _, id := range sortedKeys(first) {
		wasIn := !first[id].added
		typ, isIn := g.members[id]
		switch {
		case isIn && !wasIn:
			out = append(out, entry(id, typ, false))
		case wasIn && !isIn:
			out = append(out, entry(id, first[id].typ, true))
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
