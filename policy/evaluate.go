package policy

import (
	"slices"
	"strings"

	"github.com/dirsync/dirsync/replica"
)

// Outcome is the outcome of one criterion of a policy for one user.
type Outcome struct {
	Line      int    // the criterion's line in the document
	Action    Action // the action of the block holding it
	Criterion string // its name and operator, such as "groups.has"
	Value     string // its operand as written: a value, or a list as "[a, b]"
	Matched   bool   // whether it holds for the user, before not/nor negation
}

// Result is a policy's decision for one user and how it was reached.
type Result struct {
	// Allowed: some allow list holds and no deny list does.
	Allowed bool
	// Denied: some deny list holds.
	Denied bool
	// Version is the replica's applied version the result reflects.
	Version uint64
	// Criteria holds the outcome of every criterion, in document order.
	Criteria []Outcome
}

// maxAttempts bounds the evaluations of one call while the replica keeps changing.
const maxAttempts = 3

// Evaluate evaluates every criterion of the policy for the user with that id in the
// policy's directory, and decides. Its error is the replica's (store.ErrNotFound) when the
// directory has no such user.
//
// Each criterion reads the replica on its own; when the replica's version moves during the
// evaluation, Evaluate evaluates again (up to maxAttempts times in all), so that the result
// reflects the single version it reports unless the replica changes continuously (or
// loads a snapshot in several batches, which raises its version only at the end). It
// allocates the Criteria slice only, except that groups.is lists the user's effective
// groups, and an email with capitals is lowered into a new string.
func (p *Policy) Evaluate(r *replica.Replica, userID string) (Result, error) {
	var out []Outcome
	for attempt := 1; ; attempt++ {
		v := r.Version()
		s, err := p.subject(r, userID)
		if err != nil {
			return Result{}, err
		}
		if out == nil {
			out = make([]Outcome, len(p.criteria))
		}
		for i := range p.criteria {
			out[i] = p.criteria[i].outcome
			out[i].Matched = p.criteria[i].match(r, &s)
		}
		res := Result{Version: v, Criteria: out}
		allow := false
		for i := range p.clauses {
			if p.clauses[i].holds(func(j int) bool { return out[j].Matched }) {
				if p.clauses[i].action == Deny {
					res.Denied = true
				} else {
					allow = true
				}
			}
		}
		res.Allowed = allow && !res.Denied
		if attempt == maxAttempts || r.Version() == v {
			return res, nil
		}
	}
}

// Allowed returns Result.Allowed for the user without recording outcomes: it evaluates deny
// lists first and stops at the first criterion that settles the decision. It is the
// authorization hot path; its consistency and errors are Evaluate's, and it allocates
// nothing beyond what groups.is and lowering a capitalised email need.
func (p *Policy) Allowed(r *replica.Replica, userID string) (bool, error) {
	for attempt := 1; ; attempt++ {
		v := r.Version()
		s, err := p.subject(r, userID)
		if err != nil {
			return false, err
		}
		allowed := p.decide(r, &s)
		if attempt == maxAttempts || r.Version() == v {
			return allowed, nil
		}
	}
}

// decide returns whether some allow list and no deny list holds for s.
func (p *Policy) decide(r *replica.Replica, s *subject) bool {
	match := func(j int) bool { return p.criteria[j].match(r, s) }
	for i := range p.clauses {
		if p.clauses[i].action == Deny && p.clauses[i].holds(match) {
			return false
		}
	}
	for i := range p.clauses {
		if p.clauses[i].action == Allow && p.clauses[i].holds(match) {
			return true
		}
	}
	return false
}

// holds combines the outcomes of the clause's criteria, asking match only as far as needed.
func (cl *clause) holds(match func(int) bool) bool {
	switch cl.op {
	case opAnd, opNor: // and: no criterion fails; nor: some criterion fails
		for j := cl.from; j < cl.to; j++ {
			if !match(j) {
				return cl.op == opNor
			}
		}
		return cl.op == opAnd
	default: // or: some criterion holds; not: no criterion holds
		for j := cl.from; j < cl.to; j++ {
			if match(j) {
				return cl.op == opOr
			}
		}
		return cl.op == opNot
	}
}

// subject is the user a policy is evaluated for, with the values its criteria compare.
type subject struct {
	directory, id string
	email         string // lowered; "" when the user has none
	domain        string // the lowered part of email after its last '@'; "" when none
}

func (p *Policy) subject(r *replica.Replica, userID string) (subject, error) {
	u, err := r.User(p.directory, userID)
	if err != nil {
		return subject{}, err
	}
	s := subject{directory: p.directory, id: userID, email: strings.ToLower(u.GetEmail())}
	if i := strings.LastIndexByte(s.email, '@'); i >= 0 {
		s.domain = s.email[i+1:]
	}
	return s, nil
}

// match reports whether the criterion holds for s.
func (c *criterion) match(r *replica.Replica, s *subject) bool {
	switch c.field {
	case fieldGroups:
		return c.matchGroups(r, s)
	case fieldEmail:
		return c.matchText(s.email)
	case fieldDomain:
		return c.matchText(s.domain)
	case fieldUser:
		return c.matchText(s.id)
	}
	return false
}

// matchText applies a text test to v; nothing matches a missing (empty) value.
func (c *criterion) matchText(v string) bool {
	if v == "" {
		return false
	}
	switch c.test {
	case textIs:
		return v == c.arg
	case textIn:
		return slices.Contains(c.set, v)
	case textPrefix:
		return strings.HasPrefix(v, c.arg)
	case textSuffix:
		return strings.HasSuffix(v, c.arg)
	case textContains:
		return strings.Contains(v, c.arg)
	case textNot:
		return v != c.arg
	}
	return false
}

// matchGroups applies a groups test through the user's effective (nested) membership.
func (c *criterion) matchGroups(r *replica.Replica, s *subject) bool {
	member := r.IsMember(s.directory, s.id, c.arg)
	switch c.test {
	case groupHas:
		return member
	case groupExclude:
		return !member
	case groupIs:
		if !member {
			return false
		}
		// A member whose effective groups fit in a page of one has arg as its only one.
		page, err := r.UserGroups(replica.Query{Directory: s.directory, Limit: 1}, s.id, true)
		return err == nil && !page.More && len(page.Items) == 1
	}
	return false
}
