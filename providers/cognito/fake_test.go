package cognito

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/dirsync/dirsync/providers/providertest"
)

// fakeCognito is an httptest Cognito Identity Provider endpoint written from the Amazon
// Cognito API reference and the AWS Signature Version 4 documentation: POST / with an AWS
// JSON 1.1 body, the operation in X-Amz-Target, a SigV4 Authorization header that it
// recomputes with the SDK's signer from the known test keys, Limit at most 60, tokens
// chaining pages (PaginationToken for ListUsers, NextToken for the others), and AWS JSON
// error bodies {"__type", "message"} (throttling is HTTP 400 TooManyRequestsException).
type fakeCognito struct {
	srv *providertest.Server

	mu      sync.Mutex
	region  string
	poolID  string
	keys    map[string]aws.Credentials // by access key id
	users   []fakeUser
	groups  []fakeGroup
	members map[string][]string  // group name → usernames
	byName  map[string]int       // username → index in users, rebuilt when users grow
	counts  providertest.Counter // requests by operation label: users, groups, group members
	// fail, when set, may answer a request instead of the fake (status 0: no answer).
	fail func(op string, page int) (status int, body string)
}

type fakeUser struct {
	Username, Sub, Email, Given, Family, Name, Status string
	Enabled                                           bool
}

type fakeGroup struct {
	Name, Description string
	Precedence        int
}

const (
	testRegion = "eu-west-1"
	testPool   = "eu-west-1_AbCdEf123"
	testKeyID  = "AKIAIOSFODNN7EXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

// operation labels, as the provider's metrics name them.
var operations = map[string]string{
	"AWSCognitoIdentityProviderService.ListUsers":        "users",
	"AWSCognitoIdentityProviderService.ListGroups":       "groups",
	"AWSCognitoIdentityProviderService.ListUsersInGroup": "group members",
}

func newFake(t testing.TB) *fakeCognito {
	f := &fakeCognito{region: testRegion, poolID: testPool, members: map[string][]string{},
		keys: map[string]aws.Credentials{testKeyID: {AccessKeyID: testKeyID, SecretAccessKey: testSecret}}}
	f.srv = providertest.NewServer(t, http.HandlerFunc(f.serve))
	return f
}

// options returns provider options pointing at the fake with the static test key.
func (f *fakeCognito) options() Options {
	return Options{Region: f.region, UserPoolID: f.poolID, AccessKeyID: testKeyID, SecretAccessKey: testSecret, Endpoint: f.srv.URL}
}

func (f *fakeCognito) setFail(fn func(op string, page int) (int, string)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = fn
}

func awsError(w http.ResponseWriter, status int, typ, message string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", typ)
	providertest.WriteJSON(w, status, map[string]string{"__type": typ, "message": message})
}

func (f *fakeCognito) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	body, err := io.ReadAll(r.Body)
	if err != nil || r.Method != http.MethodPost || r.URL.Path != "/" {
		awsError(w, http.StatusBadRequest, "UnknownOperationException", "")
		return
	}
	target := r.Header.Get("X-Amz-Target")
	op, ok := operations[target]
	if !ok {
		awsError(w, http.StatusBadRequest, "UnknownOperationException", "")
		return
	}
	f.counts.Add(op)
	if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		awsError(w, http.StatusBadRequest, "SerializationException", "Content-Type "+ct+" is not application/x-amz-json-1.1")
		return
	}
	if status, typ, msg := f.verify(r, body); status != 0 {
		awsError(w, status, typ, msg)
		return
	}
	var in struct {
		UserPoolId, GroupName, PaginationToken, NextToken string
		Limit                                             *int
	}
	if err := json.Unmarshal(body, &in); err != nil {
		awsError(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	limit := 60
	if in.Limit != nil {
		if *in.Limit < 0 || *in.Limit > 60 {
			awsError(w, http.StatusBadRequest, "InvalidParameterException",
				fmt.Sprintf("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 60", *in.Limit))
			return
		}
		if *in.Limit > 0 {
			limit = *in.Limit
		}
	}
	if in.UserPoolId != f.poolID {
		awsError(w, http.StatusBadRequest, "ResourceNotFoundException", "User pool "+in.UserPoolId+" does not exist.")
		return
	}
	token := in.NextToken
	if op == "users" {
		token = in.PaginationToken
	}
	offset := 0
	if token != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(token, op+"/"))
		if err != nil || !strings.HasPrefix(token, op+"/") {
			awsError(w, http.StatusBadRequest, "InvalidParameterException", "Invalid token")
			return
		}
		offset = n
	}
	if f.fail != nil {
		if status, body := f.fail(op, offset/limit+1); status != 0 {
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
			return
		}
	}

	// The listing, of which only the page is encoded.
	var n int
	var item func(i int) any
	switch op {
	case "users":
		n, item = len(f.users), func(i int) any { return f.users[i].wire() }
	case "groups":
		n, item = len(f.groups), func(i int) any {
			g := f.groups[i]
			return map[string]any{"GroupName": g.Name, "Description": g.Description, "Precedence": g.Precedence,
				"UserPoolId": f.poolID, "CreationDate": 1.7e9, "LastModifiedDate": 1.7e9}
		}
	case "group members":
		if !slices.ContainsFunc(f.groups, func(g fakeGroup) bool { return g.Name == in.GroupName }) {
			awsError(w, http.StatusBadRequest, "ResourceNotFoundException", "Group not found.")
			return
		}
		names := f.members[in.GroupName]
		if len(f.byName) != len(f.users) {
			f.byName = make(map[string]int, len(f.users))
			for i, u := range f.users {
				f.byName[u.Username] = i
			}
		}
		n, item = len(names), func(i int) any { return f.users[f.byName[names[i]]].wire() }
	}
	end := min(offset+limit, n)
	items := []any{}
	for i := offset; i < end; i++ {
		items = append(items, item(i))
	}
	out := map[string]any{}
	switch op {
	case "groups":
		out["Groups"] = items
	default:
		out["Users"] = items
	}
	if end < n {
		next := op + "/" + strconv.Itoa(end)
		if op == "users" {
			out["PaginationToken"] = next
		} else {
			out["NextToken"] = next
		}
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	providertest.WriteJSON(w, http.StatusOK, out)
}

func (u fakeUser) wire() map[string]any {
	attrs := []map[string]string{{"Name": "sub", "Value": u.Sub}}
	for _, a := range [][2]string{{"email", u.Email}, {"given_name", u.Given}, {"family_name", u.Family}, {"name", u.Name}} {
		if a[1] != "" {
			attrs = append(attrs, map[string]string{"Name": a[0], "Value": a[1]})
		}
	}
	return map[string]any{"Username": u.Username, "Attributes": attrs, "Enabled": u.Enabled,
		"UserStatus": u.Status, "UserCreateDate": 1.7e9, "UserLastModifiedDate": 1.7e9}
}

// verify checks the request's SigV4 signature as AWS does: it recomputes the signature
// over the headers the request names as signed, with the secret of its access key, and
// compares. It returns the AWS error for a request that does not pass.
func (f *fakeCognito) verify(r *http.Request, body []byte) (status int, typ, message string) {
	auth, ok := strings.CutPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ")
	if !ok {
		return http.StatusBadRequest, "MissingAuthenticationTokenException", "Missing Authentication Token"
	}
	parts := map[string]string{}
	for _, p := range strings.Split(auth, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		parts[k] = v
	}
	scope := strings.Split(parts["Credential"], "/")
	if len(scope) != 5 || scope[4] != "aws4_request" {
		return http.StatusBadRequest, "IncompleteSignatureException", "Credential is malformed"
	}
	creds, known := f.keys[scope[0]]
	if !known {
		return http.StatusBadRequest, "UnrecognizedClientException", "The security token included in the request is invalid."
	}
	if scope[2] != f.region || scope[3] != "cognito-idp" {
		return http.StatusBadRequest, "InvalidSignatureException", "Credential should be scoped to a valid region and to service cognito-idp."
	}
	signed := strings.Split(parts["SignedHeaders"], ";")
	for _, h := range []string{"host", "x-amz-date", "x-amz-target", "content-type"} {
		if !contains(signed, h) {
			return http.StatusBadRequest, "IncompleteSignatureException", "SignedHeaders must include " + h
		}
	}
	if creds.SessionToken != "" && !contains(signed, "x-amz-security-token") {
		return http.StatusBadRequest, "UnrecognizedClientException", "The security token included in the request is invalid."
	}
	at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil || scope[1] != at.Format("20060102") {
		return http.StatusBadRequest, "IncompleteSignatureException", "X-Amz-Date is malformed"
	}
	if d := time.Since(at); d > 5*time.Minute || d < -5*time.Minute {
		return http.StatusBadRequest, "InvalidSignatureException", "Signature expired"
	}
	again, _ := http.NewRequest(http.MethodPost, "http://"+r.Host+r.URL.RequestURI(), bytes.NewReader(body))
	for _, h := range signed {
		if h != "host" && h != "content-length" {
			again.Header[textproto.CanonicalMIMEHeaderKey(h)] = r.Header.Values(h)
		}
	}
	if !contains(signed, "content-length") {
		again.ContentLength = 0
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, again, hex.EncodeToString(sum[:]), "cognito-idp", f.region, at); err != nil {
		return http.StatusInternalServerError, "InternalErrorException", err.Error()
	}
	if again.Header.Get("Authorization") != r.Header.Get("Authorization") {
		return http.StatusBadRequest, "InvalidSignatureException",
			"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method."
	}
	return 0, "", ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// directory fills the fake with users and groups; user i is in groups i%groups and
// (i+1)%groups.
func (f *fakeCognito) directory(users, groups int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.groups = make([]fakeGroup, groups)
	for i := range groups {
		f.groups[i] = fakeGroup{Name: fmt.Sprintf("group-%04d", i), Precedence: i}
	}
	f.users = make([]fakeUser, users)
	f.byName = nil
	clear(f.members)
	for i := range users {
		f.users[i] = fakeUser{Username: fmt.Sprintf("user%05d", i), Sub: fmt.Sprintf("sub-%05d", i),
			Email: fmt.Sprintf("user%d@example.com", i), Given: "User", Family: strconv.Itoa(i),
			Status: "CONFIRMED", Enabled: true}
		if groups > 0 {
			for _, g := range []int{i % groups, (i + 1) % groups} {
				name := f.groups[g].Name
				f.members[name] = append(f.members[name], f.users[i].Username)
			}
		}
	}
}
