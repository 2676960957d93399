package policy

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCompileErrors: every document that does not compile is an *Error naming the line of
// what is wrong and saying what it is.
func TestCompileErrors(t *testing.T) {
	r := fixture(t)
	for _, tc := range []struct {
		name, doc string
		line      int
		msg       string
	}{
		// Malformed YAML and documents that are not policies.
		// (The YAML decoder places parse errors at the line before the unclosed construct.)
		{"malformed", "allow:\n  and:\n    - groups: {has: eng\n", 2, "malformed YAML: did not find expected ',' or '}'"},
		{"tab indent", "allow:\n\tand: []\n", 2, "malformed YAML"},
		{"empty", "", 0, "the policy is empty"},
		{"comment only", "# nothing\n", 0, "the policy is empty"},
		{"null", "~\n", 0, "the policy is empty"},
		{"two documents", "allow: {or: [{user: a}]}\n---\ndeny: {or: [{user: b}]}\n", 2, "one YAML document"},
		{"scalar", "allow\n", 1, "a policy is a rule"},
		{"no rules", "[]\n", 1, "no rules"},
		{"rule not a mapping", "- allow: {or: [{user: a}]}\n- just text\n", 2, `a rule is a mapping with allow and/or deny, not the value "just text"`},
		{"criterion as a rule", "- allow: {or: [{user: a}]}\n- user: b\n", 2, `unknown action "user"`},
		{"empty rule", "- {}\n", 1, "neither allow nor deny"},
		// Rules and blocks.
		{"unknown action", "permit:\n  and: [{user: a}]\n", 1, `unknown action "permit"`},
		{"action twice", "allow: {or: [{user: a}]}\nallow: {or: [{user: b}]}\n", 2, "allow appears twice"},
		{"empty block", "allow:\n", 1, "allow needs at least one of and, or, not, nor"},
		{"block not a mapping", "deny: [user: a]\n", 1, "deny holds a mapping"},
		{"unknown logical operator", "allow:\n  xor:\n    - user: a\n", 2, `unknown logical operator "xor"`},
		{"operator twice", "allow:\n  or: [{user: a}]\n  or: [{user: b}]\n", 3, "or appears twice"},
		{"empty list", "allow:\n  and: []\n", 2, "allow.and needs a non-empty list"},
		{"list is a mapping", "allow:\n  and:\n    user: a\n", 2, "allow.and needs a non-empty list of criteria, not a mapping"},
		// Criteria.
		{"nested logic", "allow:\n  and:\n    - user: a\n    - or:\n        - user: b\n", 4, "do not nest"},
		{"criterion not a mapping", "allow:\n  and:\n    - user\n", 3, "a criterion is a mapping"},
		{"criterion with two keys", "allow:\n  and:\n    - {user: a, email: b@c}\n", 3, "this one has 2 (user, email)"},
		{"unknown criterion", "allow:\n  and:\n    - user: a\n    - claim/groups: admin\n", 4, `unknown criterion "claim/groups": use one of domain, email, groups, user`},
		{"unknown operator", "deny:\n  or:\n    - email:\n        matches: .*\n", 4, `email has no operator "matches": use one of contains, ends_with, in, is, not, starts_with`},
		{"operator of another criterion", "allow:\n  or:\n    - user: {starts_with: a}\n", 3, `user has no operator "starts_with": use one of in, is`},
		{"groups in", "allow:\n  or:\n    - groups: {in: [All]}\n", 3, `groups has no operator "in"`},
		{"two operators", "allow:\n  or:\n    - email: {starts_with: a, ends_with: b}\n", 3, "email takes one operator, found 2"},
		{"in without list", "allow:\n  or:\n    - email: {in: a@b.example}\n", 3, "email.in takes a list"},
		{"list without in", "allow:\n  or:\n    - domain: {is: [a.example, b.example]}\n", 3, "domain.is takes one value, not a list"},
		{"bare list", "allow:\n  or:\n    - user: [a, b]\n", 3, "a list of operands needs an operator"},
		{"empty in", "allow:\n  or:\n    - user: {in: []}\n", 3, "user.in: the list is empty"},
		{"null operand", "allow:\n  or:\n    - email:\n", 3, "email needs an operand"},
		{"null operator operand", "allow:\n  or:\n    - email: {is: }\n", 3, "email.is needs an operand"},
		{"empty operand", "allow:\n  or:\n    - email: {ends_with: \"\"}\n", 3, "email.ends_with: empty operand"},
		{"list item not a value", "allow:\n  or:\n    - user:\n        in:\n          - a\n          - [b]\n", 6, "list items are values, not a list"},
		{"mapping operand", "allow:\n  or:\n    - user: {is: {id: a}}\n", 3, "the operand is a value or a list, not a mapping"},
		{"domain with @", "allow:\n  or:\n    - domain: {ends_with: \"@acme.example\"}\n", 3, "can never match"},
		// Groups.
		{"ambiguous group name", "allow:\n  or:\n    - user: a\n  and:\n    - groups: {has: Ops}\n", 5,
			`groups.has: group name "Ops" is ambiguous: 2 groups bear it (g-ops1, g-ops2); name the group by id`},
		{"ambiguous bare group name", "- deny:\n    or:\n      - groups: Ops\n", 3, `group name "Ops" is ambiguous`},
		{"unknown group", "allow:\n  or:\n    - groups: {exclude: Sales}\n", 3, `groups.exclude: no group of directory "corp" has the id or name "Sales"`},
		{"group names are exact", "allow:\n  or:\n    - groups: {is: engineering}\n", 3, `"engineering"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile([]byte(tc.doc), "corp", r)
			var pe *Error
			require.True(t, errors.As(err, &pe), "want *Error, got %v", err)
			require.Equal(t, tc.line, pe.Line, pe.Error())
			require.Contains(t, pe.Msg, tc.msg)
			if tc.line > 0 {
				require.Regexp(t, `^line \d+: `, err.Error())
			}
		})
	}
}

func TestCompileWithoutGroups(t *testing.T) {
	_, err := Compile([]byte("allow: {or: [{user: a}]}"), "", nil)
	require.ErrorContains(t, err, "no directory")

	p, err := Compile([]byte("allow: {or: [{domain: acme.example}]}"), "corp", nil)
	require.NoError(t, err)
	require.Equal(t, "corp", p.Directory())

	_, err = Compile([]byte("allow: {or: [{groups: All}]}"), "corp", nil)
	require.ErrorContains(t, err, "line 1: groups.has: groups criteria need a group resolver")
}

// TestScalarsAreText: numbers and booleans are operands like any other text.
func TestScalarsAreText(t *testing.T) {
	r := fixture(t)
	res, err := compile(t, r, "allow: {or: [{user: {in: [12345, true, bob]}}]}").Evaluate(r, "bob")
	require.NoError(t, err)
	require.True(t, res.Allowed)
	require.Equal(t, "[12345, true, bob]", res.Criteria[0].Value)
}

// TestGroupsResolvedPerDirectory: group operands resolve in the policy's directory only.
func TestGroupsResolvedPerDirectory(t *testing.T) {
	r := fixture(t)
	_, err := Compile([]byte("allow: {or: [{groups: All}]}"), "other", r)
	require.ErrorContains(t, err, `no group of directory "other"`)
}

// TestAliases: YAML anchors and aliases are followed; an aliased criterion keeps the line
// where it is written.
func TestAliases(t *testing.T) {
	r := fixture(t)
	p := compile(t, r, `
- allow:
    or: &staff
      - groups: Engineering
      - domain: other.example
- deny:
    and: *staff
`)
	require.Equal(t, []string{"alice", "bob", "carol", "sam"}, allowedUsers(t, r, p))
	res, err := p.Evaluate(r, "carol")
	require.NoError(t, err)
	require.Equal(t, []int{4, 5, 4, 5}, lines(res))
	require.Equal(t, []Action{Allow, Allow, Deny, Deny}, actions(res))
}

func lines(res Result) (out []int) {
	for _, o := range res.Criteria {
		out = append(out, o.Line)
	}
	return out
}

func actions(res Result) (out []Action) {
	for _, o := range res.Criteria {
		out = append(out, o.Action)
	}
	return out
}
