package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store"
	"github.com/dirsync/dirsync/store/memory"
)

// policyFixture: corp has groups all ⊃ eng ⊃ platform (named "Group all", …), two groups
// named "Ops", users alice (platform), bob (eng), carol (none), all @example.com.
func policyFixture(t *testing.T) (*testServer, store.Store) {
	st := memory.New()
	ops1, ops2 := testGroup("corp", "ops-1"), testGroup("corp", "ops-2")
	ops1.GetGroup().Name, ops2.GetGroup().Name = "Ops", "Ops"
	apply(t, st, "corp",
		testGroup("corp", "all"), testGroup("corp", "eng", "all"), testGroup("corp", "platform", "eng"), ops1, ops2,
		testUser("corp", "alice", "platform"), testUser("corp", "bob", "eng"), testUser("corp", "carol"))
	return startServer(t, st, Options{}), st
}

// engPolicy allows members of eng (by name) at example.com, and denies bob.
const engPolicy = `allow:
  and:
    - groups: {has: Group eng}
    - domain: EXAMPLE.com
deny:
  or:
    - user: bob
`

func TestEvaluatePolicy(t *testing.T) {
	ts, _ := policyFixture(t)
	ctx := context.Background()
	eval := func(user string) *dirsyncv1.EvaluatePolicyResponse {
		resp, err := ts.query.EvaluatePolicy(ctx, &dirsyncv1.EvaluatePolicyRequest{Directory: "corp", UserId: user, Policy: engPolicy})
		require.NoError(t, err)
		return resp
	}

	alice := eval("alice") // a member of eng through platform
	require.True(t, alice.Allowed)
	require.False(t, alice.Denied)
	require.Equal(t, ts.Replica().Version(), alice.RecordVersion)
	require.Len(t, alice.Criteria, 3)
	for i, want := range []*dirsyncv1.PolicyCriterionResult{
		{Line: 3, Action: "allow", Criterion: "groups.has", Value: "Group eng", Matched: true},
		{Line: 4, Action: "allow", Criterion: "domain.is", Value: "EXAMPLE.com", Matched: true},
		{Line: 7, Action: "deny", Criterion: "user.is", Value: "bob", Matched: false},
	} {
		require.Equal(t, want.String(), alice.Criteria[i].String())
	}

	bob := eval("bob")
	require.False(t, bob.Allowed)
	require.True(t, bob.Denied)
	require.True(t, bob.Criteria[0].Matched)
	require.True(t, bob.Criteria[2].Matched)

	carol := eval("carol")
	require.False(t, carol.Allowed)
	require.False(t, carol.Denied)
	require.False(t, carol.Criteria[0].Matched)
	require.True(t, carol.Criteria[1].Matched)
}

func TestEvaluatePolicyErrors(t *testing.T) {
	ts, _ := policyFixture(t)
	ctx := context.Background()
	eval := func(req *dirsyncv1.EvaluatePolicyRequest) error {
		_, err := ts.query.EvaluatePolicy(ctx, req)
		return err
	}
	requireInvalid(t, eval(&dirsyncv1.EvaluatePolicyRequest{UserId: "alice", Policy: engPolicy}), "directory")
	requireInvalid(t, eval(&dirsyncv1.EvaluatePolicyRequest{Directory: "corp", Policy: engPolicy}), "user_id")
	requireInvalid(t, eval(&dirsyncv1.EvaluatePolicyRequest{Directory: "corp", UserId: "alice"}), "policy")
	requireInvalid(t, eval(&dirsyncv1.EvaluatePolicyRequest{Directory: "corp", UserId: "alice",
		Policy: strings.Repeat("#", maxPolicySize+1)}), "policy")

	for name, tc := range map[string]struct{ policy, msg string }{
		"ambiguous group":  {"allow:\n  or:\n    - user: alice\n    - groups: {has: Ops}\n", `line 4: groups.has: group name "Ops" is ambiguous`},
		"unknown operator": {"allow:\n  or:\n    - email: {matches: x}\n", `line 3: email has no operator "matches"`},
		"malformed YAML":   {"allow: [\n", "malformed YAML"},
	} {
		err := eval(&dirsyncv1.EvaluatePolicyRequest{Directory: "corp", UserId: "alice", Policy: tc.policy})
		requireInvalid(t, err, "policy")
		require.Contains(t, status.Convert(err).Message(), tc.msg, name)
	}

	// Unknown user, or one of another directory: NOT_FOUND, after the policy compiled.
	err := eval(&dirsyncv1.EvaluatePolicyRequest{Directory: "corp", UserId: "nobody", Policy: engPolicy})
	require.Equal(t, codes.NotFound, status.Code(err), "%v", err)
	require.Contains(t, status.Convert(err).Message(), `user "nobody"`)
	err = eval(&dirsyncv1.EvaluatePolicyRequest{Directory: "elsewhere", UserId: "alice", Policy: "allow: {or: [{user: alice}]}"})
	require.Equal(t, codes.NotFound, status.Code(err), "%v", err)

	// min_record_version beyond what exists waits for the call's deadline.
	dctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err = ts.query.EvaluatePolicy(dctx, &dirsyncv1.EvaluatePolicyRequest{Directory: "corp", UserId: "alice",
		Policy: engPolicy, MinRecordVersion: 1 << 40})
	require.Equal(t, codes.DeadlineExceeded, status.Code(err))
}

// TestEvaluatePolicyReadsOwnWrites: with min_record_version, a user just written is seen.
func TestEvaluatePolicyReadsOwnWrites(t *testing.T) {
	ts, st := policyFixture(t)
	v := apply(t, st, "corp", testUser("corp", "dan", "platform"))
	resp, err := ts.query.EvaluatePolicy(context.Background(), &dirsyncv1.EvaluatePolicyRequest{
		Directory: "corp", UserId: "dan", Policy: engPolicy, MinRecordVersion: v.Latest})
	require.NoError(t, err)
	require.True(t, resp.Allowed)
	require.GreaterOrEqual(t, resp.RecordVersion, v.Latest)
}

func TestEvaluatePolicyREST(t *testing.T) {
	ts, _ := policyFixture(t)
	post := func(dir, user, policy string) (int, map[string]any) {
		body, err := json.Marshal(map[string]string{"policy": policy})
		require.NoError(t, err)
		resp, err := http.Post(ts.httpURL+"/v1/directories/"+dir+"/users/"+user+":evaluatePolicy", "application/json", bytes.NewReader(body))
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		var out map[string]any
		require.NoError(t, json.Unmarshal(raw, &out), string(raw))
		return resp.StatusCode, out
	}

	code, body := post("corp", "alice", engPolicy)
	require.Equal(t, http.StatusOK, code, body)
	require.Equal(t, true, body["allowed"])
	require.Nil(t, body["denied"], "false fields are omitted by the gateway")
	criteria := body["criteria"].([]any)
	require.Len(t, criteria, 3)
	first := criteria[0].(map[string]any)
	require.Equal(t, "groups.has", first["criterion"])
	require.Equal(t, "Group eng", first["value"])
	require.Equal(t, float64(3), first["line"])
	require.Equal(t, true, first["matched"])

	code, body = post("corp", "bob", engPolicy)
	require.Equal(t, http.StatusOK, code, body)
	require.Nil(t, body["allowed"])
	require.Equal(t, true, body["denied"])

	code, body = post("corp", "alice", "allow:\n  or:\n    - groups: Ops\n")
	require.Equal(t, http.StatusBadRequest, code)
	require.Contains(t, body["message"], "policy: line 3:")

	code, _ = post("corp", "nobody", engPolicy)
	require.Equal(t, http.StatusNotFound, code)
	code, body = post("corp", "alice", "")
	require.Equal(t, http.StatusBadRequest, code)
	require.Contains(t, body["message"], "policy")
}
