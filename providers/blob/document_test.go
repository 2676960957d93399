package blob

import (
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"unsafe"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// sampleUsers and sampleGroups use every field; directory and effective_group_ids are
// set so that the tests see them ignored.
func sampleUsers(t *testing.T) []*dirsyncv1.User {
	attrs, err := structpb.NewStruct(map[string]any{
		"dept": "eng", "level": 3.5, "admin": true, "none": nil,
		"tags": []any{"a", 1.0, map[string]any{"deep": []any{}}}, "quote": "a\"b\\c\n\u00e9😀",
	})
	require.NoError(t, err)
	return []*dirsyncv1.User{
		{Id: "u1", Directory: "ignored", DisplayName: "Ada Lovelace", Email: "ada@example.com",
			Username: "ada", GivenName: "Ada", FamilyName: "Lovelace", State: dirsyncv1.UserState_USER_STATE_ACTIVE,
			GroupIds: []string{"g1", "g2"}, EffectiveGroupIds: []string{"g1", "g2", "g3"}, Attributes: attrs},
		{Id: "u2", State: dirsyncv1.UserState_USER_STATE_SUSPENDED, GroupIds: []string{"g2"}},
		{Id: "ü/3 \"quoted\""},
	}
}

func sampleGroups() []*dirsyncv1.Group {
	return []*dirsyncv1.Group{
		{Id: "g1", Directory: "ignored", Name: "Engineering", Email: "eng@example.com", Description: "builders",
			GroupIds: []string{"g3"}, EffectiveGroupIds: []string{"g3"}},
		{Id: "g2", Name: "Everyone"},
		{Id: "g3"},
	}
}

// document renders users and groups as a dirsync JSON document with protojson, one
// record per line.
func document(t *testing.T, opts protojson.MarshalOptions, users []*dirsyncv1.User, groups []*dirsyncv1.Group) string {
	var b strings.Builder
	b.WriteString("{\n\"users\": [")
	for i, u := range users {
		if i > 0 {
			b.WriteString(",")
		}
		j, err := opts.Marshal(u)
		require.NoError(t, err)
		b.WriteString("\n  " + string(j))
	}
	b.WriteString("\n],\n\"groups\": [")
	for i, g := range groups {
		if i > 0 {
			b.WriteString(",")
		}
		j, err := opts.Marshal(g)
		require.NoError(t, err)
		b.WriteString("\n  " + string(j))
	}
	b.WriteString("\n]}\n")
	return b.String()
}

// withoutSyncerFields returns copies of the records without directory and
// effective_group_ids, as the decoder returns them.
func withoutSyncerFields(users []*dirsyncv1.User, groups []*dirsyncv1.Group) ([]*dirsyncv1.User, []*dirsyncv1.Group) {
	var us []*dirsyncv1.User
	for _, u := range users {
		c := proto.CloneOf(u)
		c.Directory, c.EffectiveGroupIds = "", nil
		us = append(us, c)
	}
	var gs []*dirsyncv1.Group
	for _, g := range groups {
		c := proto.CloneOf(g)
		c.Directory, c.EffectiveGroupIds = "", nil
		gs = append(gs, c)
	}
	return us, gs
}

func requireRecords(t *testing.T, wantUsers []*dirsyncv1.User, wantGroups []*dirsyncv1.Group, users []*dirsyncv1.User, groups []*dirsyncv1.Group) {
	t.Helper()
	require.Len(t, users, len(wantUsers))
	for i := range wantUsers {
		require.True(t, proto.Equal(wantUsers[i], users[i]), "users[%d]: want %v, got %v", i, wantUsers[i], users[i])
	}
	require.Len(t, groups, len(wantGroups))
	for i := range wantGroups {
		require.True(t, proto.Equal(wantGroups[i], groups[i]), "groups[%d]: want %v, got %v", i, wantGroups[i], groups[i])
	}
}

func TestDecodeDocumentProtojson(t *testing.T) {
	users, groups := sampleUsers(t), sampleGroups()
	wantUsers, wantGroups := withoutSyncerFields(users, groups)
	tests := []struct {
		name string
		opts protojson.MarshalOptions
	}{
		{"camelCase", protojson.MarshalOptions{}},
		{"snake_case", protojson.MarshalOptions{UseProtoNames: true}},
		{"indented", protojson.MarshalOptions{Multiline: true, Indent: "    "}},
		{"enum numbers and defaults", protojson.MarshalOptions{UseEnumNumbers: true, EmitUnpopulated: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := document(t, tt.opts, users, groups)
			// A one-byte reader makes every token cross a buffer refill.
			for _, r := range []io.Reader{strings.NewReader(doc), iotest.OneByteReader(strings.NewReader(doc))} {
				gotUsers, gotGroups, err := decodeDocument(context.Background(), "directory.json", r)
				require.NoError(t, err)
				requireRecords(t, wantUsers, wantGroups, gotUsers, gotGroups)
			}
		})
	}
}

func TestDecodeDocumentForms(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		wantUsers  []*dirsyncv1.User
		wantGroups []*dirsyncv1.Group
	}{
		{"empty object", `{}`, nil, nil},
		{"null members", `{"users": null, "groups": null}`, nil, nil},
		{"empty arrays", " \t\r\n{ \"groups\" : [ ] , \"users\" : [ ] } \n", nil, nil},
		{"null fields", `{"users":[{"id":"u","email":null,"state":null,"groupIds":null,"attributes":null}]}`,
			[]*dirsyncv1.User{{Id: "u"}}, nil},
		{"state by number", `{"users":[{"id":"u","state":2}]}`,
			[]*dirsyncv1.User{{Id: "u", State: dirsyncv1.UserState_USER_STATE_SUSPENDED}}, nil},
		{"escapes", `{"users":[{"id":"\u0041\t\"\\\/\ud83d\ude00"}]}`,
			[]*dirsyncv1.User{{Id: "A\t\"\\/😀"}}, nil},
		{"strings longer than the read buffer", `{"users":[{"id":"u","email":"` + strings.Repeat(`ab\"c`, 40_000) + `"}]}`,
			[]*dirsyncv1.User{{Id: "u", Email: strings.Repeat(`ab"c`, 40_000)}}, nil},
		{"byte order mark", "\xef\xbb\xbf{\"users\":[{\"id\":\"u\"}]}", []*dirsyncv1.User{{Id: "u"}}, nil},
		{"groups only", `{"groups":[{"id":"g","groupIds":["p"]}]}`,
			nil, []*dirsyncv1.Group{{Id: "g", GroupIds: []string{"p"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			users, groups, err := decodeDocument(context.Background(), "d.json", strings.NewReader(tt.in))
			require.NoError(t, err)
			requireRecords(t, tt.wantUsers, tt.wantGroups, users, groups)
		})
	}
}

func TestDecodeDocumentSharesGroupIDs(t *testing.T) {
	users, _, err := decodeDocument(context.Background(), "d.json",
		strings.NewReader(`{"users":[{"id":"a","group_ids":["g1"]},{"id":"b","group_ids":["g1"]}]}`))
	require.NoError(t, err)
	require.Same(t, unsafe.StringData(users[0].GroupIds[0]), unsafe.StringData(users[1].GroupIds[0]))
}

func TestDecodeDocumentMalformed(t *testing.T) {
	deep := `{"users":[{"id":"u","attributes":{"a":` + strings.Repeat("[", 70) + strings.Repeat("]", 70) + `}}]}`
	tests := []struct{ name, in, want string }{
		{"empty", "", "directory.json: line 1, column 1: unexpected end of input"},
		{"position after a byte order mark", "\xef\xbb\xbf[]", `directory.json: line 1, column 1: expected an object {"users": [...], "groups": [...]}, found an array`},
		{"not an object", `["users"]`, `directory.json: line 1, column 1: expected an object {"users": [...], "groups": [...]}, found an array`},
		{"syntax: missing comma", "{\"users\": [\n  {\"id\": \"a\"}\n  {\"id\": \"b\"}\n]}",
			"directory.json: users[1] (line 3, column 3): expected ',' or ']' after an array element, found an object"},
		{"syntax: missing colon", "{\"users\": [{\"id\" \"a\"}]}",
			`directory.json: users[0] (line 1, column 18): expected ':', found a string`},
		{"syntax: bad literal", `{"users": [{"id": nul}]}`,
			`directory.json: users[0] (line 1, column 19): invalid literal (expected null)`},
		{"syntax: bad number", `{"users": [{"id": "u", "state": 01}]}`,
			`directory.json: users[0] (line 1, column 33): invalid number "01"`},
		{"syntax: member name not a string", `{users: []}`,
			`directory.json: line 1, column 2: expected a member name (a string), found 'u'`},
		{"unknown field", "{\"users\": [\n  {\"id\": \"a\"},\n  {\"id\": \"b\",\n   \"emial\": \"b@example.com\"}]}",
			`directory.json: users[1] (line 4, column 4): unknown field "emial"`},
		{"unknown group field", `{"groups": [{"id": "g", "members": []}]}`,
			`directory.json: groups[0] (line 1, column 25): unknown field "members"`},
		{"unknown member", `{"users": [], "devices": []}`,
			`directory.json: line 1, column 15: unknown member "devices" (expected users or groups)`},
		{"duplicate member", `{"users": [], "users": []}`,
			`directory.json: line 1, column 15: duplicate member "users"`},
		{"duplicate field", `{"users": [{"id": "a", "display_name": "x", "displayName": "y"}]}`,
			`directory.json: users[0] (line 1, column 45): duplicate field "displayName"`},
		{"missing id", "{\"users\": [\n  {\"id\": \"a\"},\n  {\"email\": \"b@example.com\"}]}",
			`directory.json: users[1] (line 3, column 3): missing id`},
		{"empty id", `{"groups": [{"id": ""}]}`,
			`directory.json: groups[0] (line 1, column 13): missing id`},
		{"duplicate id", "{\"groups\": [\n {\"id\": \"g\"},\n {\"id\": \"h\"},\n {\"id\": \"g\"}]}",
			`directory.json: groups[2] (line 4, column 2): duplicate id "g" (first at groups[0])`},
		{"wrong type: string", `{"users": [{"id": 7}]}`,
			`directory.json: users[0] (line 1, column 19): field "id": expected a string, found a number`},
		{"wrong type: list", `{"users": [{"id": "u", "groupIds": "g1"}]}`,
			`directory.json: users[0] (line 1, column 36): field "group_ids": expected an array of strings, found a string`},
		{"wrong type: list element", `{"users": [{"id": "u", "group_ids": ["g1", 2]}]}`,
			`directory.json: users[0] (line 1, column 44): field "group_ids": expected a string element, found a number`},
		{"wrong type: attributes", `{"users": [{"id": "u", "attributes": []}]}`,
			`directory.json: users[0] (line 1, column 38): field "attributes": expected an object, found an array`},
		{"wrong type: entry", `{"users": ["u1"]}`,
			`directory.json: users[0] (line 1, column 12): expected an object, found a string`},
		{"wrong type: section", `{"users": {"id": "u"}}`,
			`directory.json: line 1, column 11: expected an array of records, found an object`},
		{"unknown state", `{"users": [{"id": "u", "state": "ACTIVE"}]}`,
			`directory.json: users[0] (line 1, column 33): field "state": unknown state "ACTIVE"`},
		{"truncated in string", "{\"users\": [\n  {\"id\": \"a\"},\n  {\"id\": \"b",
			`directory.json: users[1] (line 3, column 12): unexpected end of input`},
		{"truncated between entries", "{\"users\": [\n  {\"id\": \"a\"},\n",
			`directory.json: users[1] (line 3, column 1): unexpected end of input`},
		{"truncated after members", `{"users": []`,
			`directory.json: line 1, column 13: unexpected end of input`},
		{"trailing data", "{\"users\": []}\n{}",
			`directory.json: line 2, column 1: unexpected an object after the end of the document`},
		{"invalid escape", `{"users": [{"id": "a\x"}]}`,
			`directory.json: users[0] (line 1, column 21): invalid escape 'x' in string`},
		{"lone surrogate", `{"users": [{"id": "\ud83d"}]}`,
			`directory.json: users[0] (line 1, column 20): invalid surrogate pair in string`},
		{"control character", "{\"users\": [{\"id\": \"a\nb\"}]}",
			`directory.json: users[0] (line 1, column 21): control character byte 0x0a in string`},
		{"invalid UTF-8", "{\"users\": [{\"id\": \"a\xffb\"}]}",
			`directory.json: users[0] (line 1, column 19): invalid UTF-8 in string`},
		{"duplicate attribute", `{"users": [{"id": "u", "attributes": {"a": 1, "a": 2}}]}`,
			`directory.json: users[0] (line 1, column 47): duplicate attribute "a"`},
		{"attributes too deep", deep,
			`directory.json: users[0] (line 1, column 102): attributes nested more than 64 deep`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, oneByte := range []bool{false, true} {
				var r io.Reader = strings.NewReader(tt.in)
				if oneByte {
					r = iotest.OneByteReader(r)
				}
				users, groups, err := decodeDocument(context.Background(), "directory.json", r)
				require.EqualError(t, err, tt.want)
				var ie *inputError
				require.True(t, errors.As(err, &ie))
				require.Nil(t, users)
				require.Nil(t, groups)
			}
		})
	}
}

func TestDecodeDocumentReadError(t *testing.T) {
	boom := errors.New("connection reset")
	r := io.MultiReader(strings.NewReader(`{"users": [{"id": "a"}, {"id": `), iotest.ErrReader(boom))
	users, groups, err := decodeDocument(context.Background(), "d.json", r)
	require.ErrorIs(t, err, boom)
	var ie *inputError
	require.False(t, errors.As(err, &ie), "a failed read is not malformed input")
	require.Nil(t, users)
	require.Nil(t, groups)
}

func TestDecodeDocumentCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	users := make([]*dirsyncv1.User, 5000)
	for i := range users {
		users[i] = &dirsyncv1.User{Id: strconv.Itoa(i)}
	}
	_, _, err := decodeDocument(ctx, "d.json", strings.NewReader(document(t, protojson.MarshalOptions{}, users, nil)))
	require.ErrorIs(t, err, context.Canceled)
}
