package policy

import (
	"testing"

	"github.com/stretchr/testify/require"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/replica"
)

func userRecord(id, email string, state dirsyncv1.UserState, groups ...string) *dirsyncv1.Record {
	return &dirsyncv1.Record{Type: dirsyncv1.RecordType_RECORD_TYPE_USER, Directory: "corp", Id: id,
		Data: &dirsyncv1.Record_User{User: &dirsyncv1.User{Id: id, Directory: "corp", Email: email,
			State: state, GroupIds: groups}}}
}

func groupRecord(id, name string, parents ...string) *dirsyncv1.Record {
	return &dirsyncv1.Record{Type: dirsyncv1.RecordType_RECORD_TYPE_GROUP, Directory: "corp", Id: id,
		Data: &dirsyncv1.Record_Group{Group: &dirsyncv1.Group{Id: id, Directory: "corp", Name: name, GroupIds: parents}}}
}

const active, suspended = dirsyncv1.UserState_USER_STATE_ACTIVE, dirsyncv1.UserState_USER_STATE_SUSPENDED

// users are the users of fixture, in a stable order.
var users = []string{"alice", "bob", "carol", "dave", "erin", "sam", "quoted"}

// fixture is directory corp: groups All ⊃ Engineering ⊃ Platform, Solo, two groups named
// Ops, and a group whose name is another group's id; users
//
//	alice   Alice@Acme.Example       Platform (so Engineering and All through nesting)
//	bob     bob@acme.example         Engineering
//	carol   carol@other.example      All
//	dave    (no email)               Solo
//	erin    erin@sub.acme.example    (no group)
//	sam     sam@acme.example         Engineering, suspended
//	quoted  "q@r"@Quoted.Example     g-shadow (the group named "g-solo")
//
// and a user of another directory.
func fixture(t testing.TB) *replica.Replica {
	t.Helper()
	r := replica.New()
	r.Apply([]*dirsyncv1.Record{
		groupRecord("g-all", "All"),
		groupRecord("g-eng", "Engineering", "g-all"),
		groupRecord("g-plat", "Platform", "g-eng"),
		groupRecord("g-solo", "Solo"),
		groupRecord("g-ops1", "Ops"),
		groupRecord("g-ops2", "Ops"),
		groupRecord("g-shadow", "g-solo"),
		userRecord("alice", "Alice@Acme.Example", active, "g-plat"),
		userRecord("bob", "bob@acme.example", active, "g-eng"),
		userRecord("carol", "carol@other.example", active, "g-all"),
		userRecord("dave", "", active, "g-solo"),
		userRecord("erin", "erin@sub.acme.example", active),
		userRecord("sam", "sam@acme.example", suspended, "g-eng"),
		userRecord("quoted", `"q@r"@Quoted.Example`, active, "g-shadow"),
		{Type: dirsyncv1.RecordType_RECORD_TYPE_USER, Directory: "other", Id: "olga",
			Data: &dirsyncv1.Record_User{User: &dirsyncv1.User{Id: "olga", Email: "olga@acme.example"}}},
	}, 1)
	return r
}

// compile compiles doc for corp against r, failing the test on an error.
func compile(t testing.TB, r *replica.Replica, doc string) *Policy {
	t.Helper()
	p, err := Compile([]byte(doc), "corp", r)
	require.NoError(t, err, doc)
	return p
}

// allowedUsers evaluates p for every fixture user and returns those allowed, in users order,
// checking that Allowed agrees with Evaluate.
func allowedUsers(t *testing.T, r *replica.Replica, p *Policy) []string {
	t.Helper()
	out := []string{}
	for _, u := range users {
		res, err := p.Evaluate(r, u)
		require.NoError(t, err)
		fast, err := p.Allowed(r, u)
		require.NoError(t, err)
		require.Equal(t, res.Allowed, fast, "Allowed and Evaluate disagree for %s", u)
		if res.Allowed {
			out = append(out, u)
		}
	}
	return out
}
