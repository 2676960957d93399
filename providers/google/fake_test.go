package google

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dirsync/dirsync/providers/providertest"
	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"
)

// fake is an httptest fake of Google's OAuth2 token endpoint and the Admin SDK Directory
// API (users, groups and members listings), written from Google's public documentation:
//   - POST /token takes the JWT-bearer grant of a service account (RFC 7523): the
//     assertion must be RS256-signed by the service account's key (header kid = the key's
//     private_key_id) with iss = client_email, sub = the delegated user, scope = the
//     requested scopes space-separated, aud = the token URI, and exp at most an hour after
//     iat. It answers {access_token, expires_in, token_type} or an OAuth error.
//   - the API takes "Authorization: Bearer <token>" and answers 401 authError otherwise;
//     errors use Google's body {"error": {"code", "message", "errors": [{"reason"}]}}.
//   - listings page with maxResults (capped at 500 users, 200 groups, 200 members; a
//     larger value is a 400) and opaque pageToken/nextPageToken.
type fake struct {
	t   testing.TB
	srv *providertest.Server

	key        *rsa.PrivateKey
	keyID      string
	keyJSON    string
	email      string // the service account's client_email
	subject    string // the one user domain-wide delegation is granted to impersonate
	customerID string
	domain     string

	mu     sync.Mutex
	users  []fakeUser
	groups []fakeGroup
	// members of each group by group id, in listing order
	members map[string][]fakeMember
	tokens  map[string]bool      // access tokens that are valid
	counts  providertest.Counter // requests by endpoint: token, users, groups, group members
	faults  []*fault
	// pageLimit, when > 0, caps every page below maxResults (the API may return fewer
	// entries than asked); tests use it to page small directories.
	pageLimit int
	// lastQuery is the query of the last request by endpoint.
	lastQuery map[string]string
}

type fakeUser struct {
	ID, Email, Given, Family string
	Suspended, Archived      bool
}

type fakeGroup struct{ ID, Email, Name, Description string }

type fakeMember struct{ ID, Email, Type string }

// fault is a scripted answer to requests of one endpoint (and page, if page > 0).
type fault struct {
	endpoint string
	page     int
	times    int // answers left; < 0: every time
	// revoke invalidates every access token before the request is authenticated (a 401
	// follows); otherwise status, header and body are the answer.
	revoke bool
	status int
	header http.Header
	body   string
}

func newFake(t testing.TB) *fake {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	var id [20]byte
	_, _ = rand.Read(id[:])
	f := &fake{t: t, key: key, keyID: hex.EncodeToString(id[:]), email: "dirsync@example-project.iam.gserviceaccount.com",
		subject: "admin@example.com", customerID: "C01abc234", domain: "example.com",
		members: map[string][]fakeMember{}, tokens: map[string]bool{}, lastQuery: map[string]string{}}
	f.srv = providertest.NewServer(t, http.HandlerFunc(f.serve))
	f.keyJSON = f.serviceAccountKey(f.srv.URL + "/token")
	return f
}

// serviceAccountKey is a JSON key as the Google Cloud console downloads it.
func (f *fake) serviceAccountKey(tokenURI string) string { return f.keyJSONWith(f.key, tokenURI) }

// keyJSONWith is the service account's JSON key with another private key.
func (f *fake) keyJSONWith(key *rsa.PrivateKey, tokenURI string) string {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(f.t, err)
	b, err := json.Marshal(map[string]string{
		"type": "service_account", "project_id": "example-project", "private_key_id": f.keyID,
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": f.email, "client_id": "112233445566778899000",
		"auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": tokenURI,
	})
	require.NoError(f.t, err)
	return string(b)
}

// addFault scripts an answer; page 0 matches every page.
func (f *fake) addFault(fl *fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, fl)
}

func (f *fake) clearFaults() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = nil
}

func (f *fake) query(endpoint string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastQuery[endpoint]
}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	const prefix = "/admin/directory/v1/"
	path := r.URL.Path
	switch {
	case path == "/token":
		f.token(w, r)
	case r.Method != http.MethodGet:
		googleError(w, http.StatusMethodNotAllowed, "Method not allowed", "methodNotAllowed")
	case path == prefix+"users":
		f.list(w, r, "users", 100, 500, f.listUsers)
	case path == prefix+"groups":
		f.list(w, r, "groups", 200, 200, f.listGroups)
	case strings.HasPrefix(path, prefix+"groups/") && strings.HasSuffix(path, "/members"):
		key := strings.TrimSuffix(strings.TrimPrefix(path, prefix+"groups/"), "/members")
		f.list(w, r, "group members", 200, 200, func(map[string][]string) (listing, error) { return f.listMembers(key) })
	default:
		googleError(w, http.StatusNotFound, "Not Found", "notFound")
	}
}

// listing is what a list request selects: its identity (which page tokens must match),
// its length, and its entries from i to j rendered as the API does.
type listing struct {
	identity string
	n        int
	render   func(i, j int) []any
}

// list serves one page of a listing after authentication and scripted faults. items
// returns the listing, or an error answered as 400 (404 for errNotFound).
func (f *fake) list(w http.ResponseWriter, r *http.Request, endpoint string, defaultSize, maxSize int,
	items func(q map[string][]string) (listing, error)) {
	q := r.URL.Query()
	f.mu.Lock()
	f.counts.Add(endpoint)
	f.lastQuery[endpoint] = r.URL.RawQuery
	f.mu.Unlock()

	size := defaultSize
	if s := q.Get("maxResults"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxSize {
			googleError(w, http.StatusBadRequest, fmt.Sprintf("Invalid value '%s'. Values must be within the range: [1, %d]", s, maxSize), "invalid")
			return
		}
		size = n
	}
	if f.pageLimit > 0 {
		size = min(size, f.pageLimit)
	}
	l, err := items(q)
	offset := 0
	if tok := q.Get("pageToken"); tok != "" && err == nil {
		offset, err = parsePageToken(tok, l.identity)
	}
	if f.intercept(w, r, endpoint, offset/size+1) {
		return
	}
	switch {
	case err == errNotFound:
		googleError(w, http.StatusNotFound, "Resource Not Found: groupKey", "notFound")
		return
	case err != nil:
		googleError(w, http.StatusBadRequest, err.Error(), "invalid")
		return
	}
	end := min(offset+size, l.n)
	page := map[string]any{"kind": "admin#directory#" + strings.ReplaceAll(endpoint, "group ", ""), "etag": `"fake"`}
	name := map[string]string{"users": "users", "groups": "groups", "group members": "members"}[endpoint]
	if offset < end {
		f.mu.Lock()
		page[name] = l.render(offset, end) // Google omits an empty list
		f.mu.Unlock()
	}
	if end < l.n {
		page["nextPageToken"] = pageToken(l.identity, end)
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	providertest.WriteJSON(w, http.StatusOK, page)
}

// intercept authenticates the request and plays a scripted fault; true when it answered.
func (f *fake) intercept(w http.ResponseWriter, r *http.Request, endpoint string, page int) bool {
	f.mu.Lock()
	var hit *fault
	for _, fl := range f.faults {
		if fl.endpoint == endpoint && (fl.page == 0 || fl.page == page) && fl.times != 0 {
			hit = fl
			fl.times--
			break
		}
	}
	if hit != nil && hit.revoke {
		f.tokens = map[string]bool{}
		hit = nil
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	authed := ok && f.tokens[tok]
	f.mu.Unlock()
	if !authed {
		w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error="invalid_token"`)
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = fmt.Fprint(w, `{"error":{"code":401,"message":"Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.","errors":[{"message":"Invalid Credentials","domain":"global","reason":"authError","location":"Authorization","locationType":"header"}],"status":"UNAUTHENTICATED"}}`)
		return true
	}
	if hit == nil {
		return false
	}
	for k, v := range hit.header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(hit.status)
	_, _ = fmt.Fprint(w, hit.body)
	return true
}

var errNotFound = errors.New("not found")

// selection is the users or groups a customer= or domain= query selects.
func (f *fake) selection(q map[string][]string) (string, error) {
	customer, domain := first(q["customer"]), first(q["domain"])
	switch {
	case domain != "":
		if domain != f.domain {
			return "", errors.New("Domain not found.")
		}
		return "domain=" + domain, nil
	case customer == "my_customer" || customer == f.customerID:
		return "customer", nil
	case customer != "":
		return "", errors.New("Bad Request")
	}
	return "", errors.New("Bad Request") // either customer or domain is required
}

func inDomain(email, sel string) bool {
	d, ok := strings.CutPrefix(sel, "domain=")
	return !ok || strings.HasSuffix(email, "@"+d)
}

func (f *fake) listUsers(q map[string][]string) (listing, error) {
	sel, err := f.selection(q)
	if err != nil {
		return listing{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var users []fakeUser
	for _, u := range f.users {
		if inDomain(u.Email, sel) {
			users = append(users, u)
		}
	}
	return listing{identity: "users " + sel, n: len(users), render: func(i, j int) []any {
		var out []any
		for _, u := range users[i:j] {
			out = append(out, wireUser{Kind: "admin#directory#user", ID: u.ID, Etag: `"u"`, PrimaryEmail: u.Email,
				Name:    wireName{GivenName: u.Given, FamilyName: u.Family, FullName: u.Given + " " + u.Family},
				IsAdmin: u.Email == f.subject, Suspended: u.Suspended, Archived: u.Archived, AgreedToTerms: true,
				OrgUnitPath: "/", CustomerID: f.customerID, CreationTime: "2024-01-02T03:04:05.000Z"})
		}
		return out
	}}, nil
}

// wireUser is a User resource as the API sends it with projection=basic (abridged).
type wireUser struct {
	Kind                      string   `json:"kind"`
	ID                        string   `json:"id"`
	Etag                      string   `json:"etag"`
	PrimaryEmail              string   `json:"primaryEmail"`
	Name                      wireName `json:"name"`
	IsAdmin                   bool     `json:"isAdmin"`
	IsDelegatedAdmin          bool     `json:"isDelegatedAdmin"`
	LastLoginTime             string   `json:"lastLoginTime,omitempty"`
	CreationTime              string   `json:"creationTime"`
	AgreedToTerms             bool     `json:"agreedToTerms"`
	Suspended                 bool     `json:"suspended"`
	Archived                  bool     `json:"archived"`
	ChangePasswordAtNextLogin bool     `json:"changePasswordAtNextLogin"`
	IPWhitelisted             bool     `json:"ipWhitelisted"`
	CustomerID                string   `json:"customerId"`
	OrgUnitPath               string   `json:"orgUnitPath"`
	IsMailboxSetup            bool     `json:"isMailboxSetup"`
}

type wireName struct {
	GivenName  string `json:"givenName"`
	FamilyName string `json:"familyName"`
	FullName   string `json:"fullName"`
}

// wireMember is a Member resource as the API sends it.
type wireMember struct {
	Kind   string `json:"kind"`
	Etag   string `json:"etag"`
	ID     string `json:"id"`
	Email  string `json:"email,omitempty"`
	Role   string `json:"role"`
	Type   string `json:"type"`
	Status string `json:"status,omitempty"`
}

func (f *fake) listGroups(q map[string][]string) (listing, error) {
	sel, err := f.selection(q)
	if err != nil {
		return listing{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var groups []fakeGroup
	for _, g := range f.groups {
		if inDomain(g.Email, sel) {
			groups = append(groups, g)
		}
	}
	return listing{identity: "groups " + sel, n: len(groups), render: func(i, j int) []any {
		var out []any
		for _, g := range groups[i:j] {
			out = append(out, map[string]any{"kind": "admin#directory#group", "id": g.ID, "etag": `"g"`, "email": g.Email,
				"name": g.Name, "description": g.Description, "directMembersCount": strconv.Itoa(len(f.members[g.ID])), "adminCreated": true})
		}
		return out
	}}, nil
}

// listMembers lists the group named by key, its id or its email.
func (f *fake) listMembers(key string) (listing, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := slices.IndexFunc(f.groups, func(g fakeGroup) bool { return g.ID == key || g.Email == key })
	if i < 0 {
		return listing{}, errNotFound
	}
	id := f.groups[i].ID
	members := f.members[id]
	return listing{identity: "members " + id, n: len(members), render: func(i, j int) []any {
		var out []any
		for _, m := range members[i:j] {
			e := wireMember{Kind: "admin#directory#member", Etag: `"m"`, ID: m.ID, Role: "MEMBER", Type: m.Type}
			if m.Type != "CUSTOMER" { // a CUSTOMER member has neither email nor status
				e.Email, e.Status = m.Email, "ACTIVE"
			}
			out = append(out, e)
		}
		return out
	}}, nil
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func pageToken(identity string, offset int) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%s|%d", identity, offset))
}

func parsePageToken(tok, identity string) (int, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	id, n, ok := strings.Cut(string(b), "|")
	offset, nerr := strconv.Atoi(n)
	if err != nil || !ok || id != identity || nerr != nil || offset < 0 {
		return 0, errors.New("Invalid Input: pageToken")
	}
	return offset, nil
}

// token serves Google's OAuth2 token endpoint for the JWT-bearer grant.
func (f *fake) token(w http.ResponseWriter, r *http.Request) {
	f.counts.Add("token")
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		providertest.OAuthError(w, http.StatusBadRequest, "invalid_request", "POST a form")
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		providertest.OAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "Invalid grant_type: "+r.PostForm.Get("grant_type"))
		return
	}
	if code, desc := f.checkAssertion(r.PostForm.Get("assertion")); code != "" {
		status := http.StatusBadRequest
		if code == "unauthorized_client" {
			status = http.StatusUnauthorized
		}
		providertest.OAuthError(w, status, code, desc)
		return
	}
	var b [24]byte
	_, _ = rand.Read(b[:])
	tok := "ya29." + base64.RawURLEncoding.EncodeToString(b[:])
	f.mu.Lock()
	f.tokens[tok] = true
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = fmt.Fprintf(w, `{"access_token":%q,"expires_in":3599,"token_type":"Bearer"}`, tok)
}

// checkAssertion verifies a JWT-bearer assertion; it returns an OAuth error code and
// description, or "" when the assertion is good.
func (f *fake) checkAssertion(assertion string) (code, desc string) {
	jws, err := jose.ParseSigned(assertion, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil || len(jws.Signatures) != 1 {
		return "invalid_grant", "Invalid JWT: malformed"
	}
	if jws.Signatures[0].Header.KeyID != f.keyID {
		return "invalid_grant", "Invalid JWT Signature."
	}
	payload, err := jws.Verify(&f.key.PublicKey)
	if err != nil {
		return "invalid_grant", "Invalid JWT Signature."
	}
	var c struct {
		Iss, Sub, Scope, Aud string
		Iat, Exp             int64
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return "invalid_grant", "Invalid JWT: claims"
	}
	now := time.Now().Unix()
	wantScopes := []string{ // the read-only scopes domain-wide delegation granted, sorted
		"https://www.googleapis.com/auth/admin.directory.group.readonly",
		"https://www.googleapis.com/auth/admin.directory.user.readonly",
	}
	gotScopes := strings.Fields(c.Scope)
	slices.Sort(gotScopes)
	switch {
	case c.Iss != f.email:
		return "invalid_grant", "Invalid JWT: iss"
	case c.Aud != f.srv.URL+"/token":
		return "invalid_grant", "Invalid JWT: Failed audience check."
	case c.Iat > now+60 || c.Exp <= now || c.Exp-c.Iat > 3600:
		return "invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe."
	case c.Sub != f.subject || !slices.Equal(gotScopes, wantScopes):
		return "unauthorized_client", "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested."
	}
	return "", ""
}

func googleError(w http.ResponseWriter, status int, message, reason string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_, _ = fmt.Fprint(w, googleErrorBody(status, message, reason))
}

// googleErrorBody is the Directory API's error body.
func googleErrorBody(status int, message, reason string) string {
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"code": status, "message": message,
		"errors": []map[string]string{{"message": message, "domain": "global", "reason": reason}}}})
	return string(b)
}
