package blob

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// zipEntry is one file of a test archive.
type zipEntry struct {
	name, content string
	store         bool // uncompressed, so tests can corrupt the content in place
}

func makeZip(t *testing.T, entries ...zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		method := zip.Deflate
		if e.store {
			method = zip.Store
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: method})
		require.NoError(t, err)
		_, err = w.Write([]byte(e.content))
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

const (
	pomeriumUsers = `[
  {"id": "u1", "display_name": "Ada", "email": "ada@example.com", "group_ids": ["g1", "g2"]},
  {"id": "u2", "displayName": "Bob", "groupIds": ["g2"]},
  {"id": "u3"}
]`
	pomeriumGroups = `[{"id": "g1", "name": "Engineering", "email": "eng@example.com"}, {"id": "g2"}]`
)

func TestDecodeBundle(t *testing.T) {
	wantUsers := []*dirsyncv1.User{
		{Id: "u1", DisplayName: "Ada", Email: "ada@example.com", GroupIds: []string{"g1", "g2"}},
		{Id: "u2", DisplayName: "Bob", GroupIds: []string{"g2"}},
		{Id: "u3"},
	}
	wantGroups := []*dirsyncv1.Group{{Id: "g1", Name: "Engineering", Email: "eng@example.com"}, {Id: "g2"}}
	tests := []struct {
		name       string
		zip        []byte
		wantGroups []*dirsyncv1.Group
	}{
		{"users and groups", makeZip(t,
			zipEntry{name: "pomerium.io/DirectoryGroup.json", content: pomeriumGroups},
			zipEntry{name: "pomerium.io/DirectoryUser.json", content: pomeriumUsers}), wantGroups},
		{"unknown entries ignored", makeZip(t,
			zipEntry{name: "README.txt", content: "not json"},
			zipEntry{name: "pomerium.io/DirectoryUser.json", content: pomeriumUsers},
			zipEntry{name: "pomerium.io/DirectoryState.json", content: "{"},
			zipEntry{name: "pomerium.io/DirectoryGroup.json", content: pomeriumGroups, store: true}), wantGroups},
		{"no group entry", makeZip(t, zipEntry{name: "pomerium.io/DirectoryUser.json", content: pomeriumUsers}), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			users, groups, err := decodeBundle(context.Background(), "bundle.zip", tt.zip)
			require.NoError(t, err)
			requireRecords(t, wantUsers, tt.wantGroups, users, groups)
		})
	}
}

func TestDecodeBundleMalformed(t *testing.T) {
	users := func(content string) []byte {
		return makeZip(t, zipEntry{name: "pomerium.io/DirectoryUser.json", content: content})
	}
	corrupt := makeZip(t, zipEntry{name: "pomerium.io/DirectoryUser.json", content: `[{"id": "abc"}]`, store: true})
	corrupt[bytes.Index(corrupt, []byte("abc"))] = 'x' // still valid JSON; the CRC no longer matches
	tests := []struct {
		name string
		zip  []byte
		want string
	}{
		{"not a zip", []byte(`{"users": []}`), "bundle.zip: not a valid zip archive: zip: not a valid zip file"},
		{"truncated zip", users(pomeriumUsers)[:40], "bundle.zip: not a valid zip archive: zip: not a valid zip file"},
		{"missing user entry", makeZip(t, zipEntry{name: "pomerium.io/DirectoryGroup.json", content: pomeriumGroups}),
			"bundle.zip: no entry pomerium.io/DirectoryUser.json"},
		{"duplicate entry", makeZip(t,
			zipEntry{name: "pomerium.io/DirectoryUser.json", content: "[]"},
			zipEntry{name: "pomerium.io/DirectoryUser.json", content: "[]"}),
			"bundle.zip: entry pomerium.io/DirectoryUser.json appears twice"},
		{"missing id", users("[\n{\"id\": \"a\"},\n{\"id\": \"b\"},\n{\"id\": \"c\"},\n{\"email\": \"d@example.com\"}]"),
			"bundle.zip: pomerium.io/DirectoryUser.json: [3] (line 5, column 1): missing id"},
		{"duplicate id", users(`[{"id": "a"}, {"id": "a"}]`),
			`bundle.zip: pomerium.io/DirectoryUser.json: [1] (line 1, column 15): duplicate id "a" (first at [0])`},
		{"field outside Pomerium's schema", users(`[{"id": "a", "username": "ada"}]`),
			`bundle.zip: pomerium.io/DirectoryUser.json: [0] (line 1, column 14): unknown field "username"`},
		{"bad JSON", users("[\n  {\"id\": \"a\",}]"),
			`bundle.zip: pomerium.io/DirectoryUser.json: [0] (line 2, column 14): expected a member name (a string), found '}'`},
		{"not an array", users(`{"id": "a"}`),
			`bundle.zip: pomerium.io/DirectoryUser.json: line 1, column 1: expected an array of records, found an object`},
		{"truncated entry", users(`[{"id": "a"}, {"id"`),
			`bundle.zip: pomerium.io/DirectoryUser.json: [1] (line 1, column 20): unexpected end of input`},
		{"bad group entry", makeZip(t,
			zipEntry{name: "pomerium.io/DirectoryUser.json", content: pomeriumUsers},
			zipEntry{name: "pomerium.io/DirectoryGroup.json", content: `[{"id": "g", "description": "x"}]`}),
			`bundle.zip: pomerium.io/DirectoryGroup.json: [0] (line 1, column 14): unknown field "description"`},
		{"corrupt entry", corrupt,
			`bundle.zip: pomerium.io/DirectoryUser.json: line 1, column 16: corrupt entry: zip: checksum error`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			users, groups, err := decodeBundle(context.Background(), "bundle.zip", tt.zip)
			require.EqualError(t, err, tt.want)
			var ie *inputError
			require.True(t, errors.As(err, &ie))
			require.Nil(t, users)
			require.Nil(t, groups)
		})
	}
}
