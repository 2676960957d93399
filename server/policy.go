package server

import (
	"context"
	"errors"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/policy"
)

// maxPolicySize bounds the policy document of an EvaluatePolicy request: a policy worth
// testing by hand is a few hundred bytes, and compiling is not free.
const maxPolicySize = 64 << 10

// EvaluatePolicy compiles the request's policy for its directory against the replica and
// evaluates it for one user: the console's "test this policy". Missing fields and a policy
// that does not compile are INVALID_ARGUMENT naming the field (the compile error's line is
// in the message); an unknown user is NOT_FOUND. All fields are checked before waiting for
// min_record_version.
func (q *queryService) EvaluatePolicy(ctx context.Context, req *dirsyncv1.EvaluatePolicyRequest) (*dirsyncv1.EvaluatePolicyResponse, error) {
	for _, f := range []struct{ name, value string }{
		{"directory", req.GetDirectory()}, {"user_id", req.GetUserId()}, {"policy", req.GetPolicy()},
	} {
		if err := required(f.name, f.value); err != nil {
			return nil, err
		}
	}
	if len(req.GetPolicy()) > maxPolicySize {
		return nil, invalidField("policy", "longer than %d bytes", maxPolicySize)
	}
	if err := q.begin(ctx, req.GetDirectory(), req.GetMinRecordVersion()); err != nil {
		return nil, err
	}
	p, err := policy.Compile([]byte(req.GetPolicy()), req.GetDirectory(), q.replica)
	if err != nil {
		var pe *policy.Error
		if !errors.As(err, &pe) {
			return nil, err
		}
		return nil, invalidField("policy", "%s", pe.Error())
	}
	res, err := p.Evaluate(q.replica, req.GetUserId())
	if err != nil {
		return nil, notFound("user", req.GetUserId(), req.GetDirectory(), err)
	}
	out := &dirsyncv1.EvaluatePolicyResponse{Allowed: res.Allowed, Denied: res.Denied, RecordVersion: res.Version,
		Criteria: make([]*dirsyncv1.PolicyCriterionResult, len(res.Criteria))}
	for i, c := range res.Criteria {
		out.Criteria[i] = &dirsyncv1.PolicyCriterionResult{Line: int32(c.Line), Action: string(c.Action),
			Criterion: c.Criterion, Value: c.Value, Matched: c.Matched}
	}
	return out, nil
}
