package policy

import (
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store"
)

// TestOperators checks every operator of every criterion, alone in an allow list, against
// every fixture user.
func TestOperators(t *testing.T) {
	r := fixture(t)
	for _, tc := range []struct {
		criterion string
		allowed   []string
	}{
		// groups: effective membership, by id or by name.
		{`groups: {has: Engineering}`, []string{"alice", "bob", "sam"}},
		{`groups: {has: g-eng}`, []string{"alice", "bob", "sam"}},
		{`groups: Engineering`, []string{"alice", "bob", "sam"}}, // bare: has
		{`groups: {has: All}`, []string{"alice", "bob", "carol", "sam"}},
		{`groups: {has: Platform}`, []string{"alice"}},
		{`groups: {has: g-solo}`, []string{"dave"}},     // the id wins over g-shadow's name
		{`groups: {has: g-shadow}`, []string{"quoted"}}, // named by its own id
		{`groups: {is: All}`, []string{"carol"}},        // alice and bob have more groups
		{`groups: {is: Solo}`, []string{"dave"}},
		{`groups: {is: Engineering}`, []string{}}, // bob is also in All
		{`groups: {exclude: Engineering}`, []string{"carol", "dave", "erin", "quoted"}},
		{`groups: {exclude: All}`, []string{"dave", "erin", "quoted"}},
		{`groups: {has: g-ops1}`, []string{}},
		// email: ignoring case, on both sides.
		{`email: {is: ALICE@acme.example}`, []string{"alice"}},
		{`email: bob@ACME.example`, []string{"bob"}}, // bare: is
		{`email: {in: [bob@acme.example, Carol@Other.Example]}`, []string{"bob", "carol"}},
		{`email: {starts_with: Ca}`, []string{"carol"}},
		{`email: {ends_with: "@acme.example"}`, []string{"alice", "bob", "sam"}},
		{`email: {ends_with: acme.example}`, []string{"alice", "bob", "erin", "sam"}},
		{`email: {contains: ACME}`, []string{"alice", "bob", "erin", "sam"}},
		{`email: {not: bob@acme.example}`, []string{"alice", "carol", "erin", "sam", "quoted"}}, // dave has none
		// domain: after the email's last '@'.
		{`domain: {is: acme.example}`, []string{"alice", "bob", "sam"}},
		{`domain: ACME.example`, []string{"alice", "bob", "sam"}},
		{`domain: {is: quoted.example}`, []string{"quoted"}},
		{`domain: {in: [other.example, quoted.example]}`, []string{"carol", "quoted"}},
		{`domain: {starts_with: sub.}`, []string{"erin"}},
		{`domain: {ends_with: acme.example}`, []string{"alice", "bob", "erin", "sam"}},
		{`domain: {contains: other}`, []string{"carol"}},
		{`domain: {not: acme.example}`, []string{"carol", "erin", "quoted"}},
		// user: ids, exactly.
		{`user: {is: alice}`, []string{"alice"}},
		{`user: bob`, []string{"bob"}},
		{`user: {in: [alice, carol, nobody]}`, []string{"alice", "carol"}},
		{`user: {is: ALICE}`, []string{}},
		{`user: {is: olga}`, []string{}}, // of another directory
	} {
		t.Run(tc.criterion, func(t *testing.T) {
			p := compile(t, r, "allow:\n  or:\n    - "+tc.criterion+"\n")
			require.Equal(t, tc.allowed, allowedUsers(t, r, p))
		})
	}
}

// TestCombinators checks and, or, not, nor, several lists, several rules, and deny over
// allow, with A = email ends with @acme.example (alice, bob, sam) and B = member of
// Platform (alice); A and B are the only capitals of the documents.
func TestCombinators(t *testing.T) {
	r := fixture(t)
	const a, b = `{email: {ends_with: "@acme.example"}}`, `{groups: {has: Platform}}`
	everyone := users
	for _, tc := range []struct {
		name, doc string
		allowed   []string
	}{
		{"and", "allow: {and: [A, B]}", []string{"alice"}},
		{"or", "allow: {or: [A, B]}", []string{"alice", "bob", "sam"}},
		{"not", "allow: {not: [A, B]}", []string{"carol", "dave", "erin", "quoted"}},
		{"nor", "allow: {nor: [A, B]}", []string{"bob", "carol", "dave", "erin", "sam", "quoted"}},
		{"not one", "allow: {not: [B]}", []string{"bob", "carol", "dave", "erin", "sam", "quoted"}},
		{"lists of a block are alternatives", "allow: {and: [A], not: [B]}", everyone},
		{"deny wins", "allow: {or: [A]}\ndeny: {and: [B]}", []string{"bob", "sam"}},
		{"deny only", "deny: {or: [B]}", []string{}},
		{"deny not", "allow: {or: [A, B]}\ndeny: {not: [B]}", []string{"alice"}},
		{"deny nor", "allow: {or: [A]}\ndeny: {nor: [A, B]}", []string{"alice"}},
		{"list of rules", "- allow: {or: [{user: alice}]}\n- allow: {or: [{user: carol}]}\n- deny: {or: [{user: carol}]}",
			[]string{"alice"}},
		{"rules of a list are alternatives", "- allow: {and: [A]}\n- allow: {and: [{domain: other.example}]}",
			[]string{"alice", "bob", "carol", "sam"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := strings.NewReplacer("A", a, "B", b).Replace(tc.doc)
			require.Equal(t, tc.allowed, allowedUsers(t, r, compile(t, r, doc)), doc)
		})
	}
}

// TestResult checks the outcome of every criterion: line, action, name, operand as written
// and match before negation, and the Allowed/Denied pair.
func TestResult(t *testing.T) {
	r := fixture(t)
	p := compile(t, r, `# who may deploy
- allow:
    and:
      - groups: Engineering
      - email: {ends_with: "@ACME.example"}
  deny:
    not:
      - user: {in: [alice, bob]}
- deny:
    or:
      - domain: other.example
`)
	res, err := p.Evaluate(r, "sam")
	require.NoError(t, err)
	require.Equal(t, r.Version(), res.Version)
	require.False(t, res.Allowed)
	require.True(t, res.Denied, "sam is neither alice nor bob")
	require.Equal(t, []Outcome{
		{Line: 4, Action: Allow, Criterion: "groups.has", Value: "Engineering", Matched: true},
		{Line: 5, Action: Allow, Criterion: "email.ends_with", Value: "@ACME.example", Matched: true},
		{Line: 8, Action: Deny, Criterion: "user.in", Value: "[alice, bob]", Matched: false},
		{Line: 11, Action: Deny, Criterion: "domain.is", Value: "other.example", Matched: false},
	}, res.Criteria)

	res, err = p.Evaluate(r, "bob")
	require.NoError(t, err)
	require.True(t, res.Allowed)
	require.False(t, res.Denied)

	res, err = p.Evaluate(r, "carol")
	require.NoError(t, err)
	require.False(t, res.Allowed)
	require.True(t, res.Denied)
	require.Equal(t, []bool{false, false, false, true}, matched(res))
}

func matched(res Result) []bool {
	var out []bool
	for _, o := range res.Criteria {
		out = append(out, o.Matched)
	}
	return out
}

// TestSuspendedUser: the user's state is not consulted.
func TestSuspendedUser(t *testing.T) {
	r := fixture(t)
	ok, err := compile(t, r, "allow: {and: [{user: sam}]}").Allowed(r, "sam")
	require.NoError(t, err)
	require.True(t, ok)
}

func TestUnknownUser(t *testing.T) {
	r := fixture(t)
	p := compile(t, r, "allow: {and: [{domain: acme.example}]}")
	_, err := p.Evaluate(r, "nobody")
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = p.Allowed(r, "olga") // exists, but in another directory
	require.ErrorIs(t, err, store.ErrNotFound)
}

// TestNestedMembershipFollowsReplica: membership is read at evaluation, through the
// replica's nesting, so a policy compiled once follows changes to the group graph.
func TestNestedMembershipFollowsReplica(t *testing.T) {
	r := fixture(t)
	p := compile(t, r, "allow: {and: [{groups: {has: All}}]}")
	require.Equal(t, []string{"alice", "bob", "carol", "sam"}, allowedUsers(t, r, p))

	// Platform leaves Engineering and joins Solo: alice leaves All.
	r.Apply([]*dirsyncv1.Record{groupRecord("g-plat", "Platform", "g-solo")}, 2)
	require.Equal(t, []string{"bob", "carol", "sam"}, allowedUsers(t, r, p))
	// Solo joins Engineering: alice is back, three levels down; dave joins too.
	r.Apply([]*dirsyncv1.Record{groupRecord("g-solo", "Solo", "g-eng")}, 3)
	require.Equal(t, []string{"alice", "bob", "carol", "dave", "sam"}, allowedUsers(t, r, p))
	// A deleted group has no members.
	r.Apply([]*dirsyncv1.Record{{Type: dirsyncv1.RecordType_RECORD_TYPE_GROUP, Directory: "corp", Id: "g-all", Deleted: true}}, 4)
	require.Equal(t, []string{}, allowedUsers(t, r, p))
}

// TestConcurrentEvaluation evaluates while the replica changes (run with -race): every
// result is one of the two possible decisions, and its version is one the replica had.
func TestConcurrentEvaluation(t *testing.T) {
	r := fixture(t)
	p := compile(t, r, "allow: {and: [{groups: {has: Engineering}}, {domain: acme.example}]}")
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for v := uint64(2); v < 500; v++ {
			parent := "g-eng"
			if v%2 == 0 {
				parent = "g-solo"
			}
			r.Apply([]*dirsyncv1.Record{groupRecord("g-plat", "Platform", parent)}, v)
		}
	}()
	for range 2000 {
		res, err := p.Evaluate(r, "alice")
		require.NoError(t, err)
		require.Len(t, res.Criteria, 2)
		require.Equal(t, res.Criteria[0].Matched, res.Allowed)
		_, err = p.Allowed(r, "alice")
		require.NoError(t, err)
	}
	wg.Wait()
}
