package blob

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	gcblob "gocloud.dev/blob"
	"gocloud.dev/blob/memblob"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/providertest"
)

// syncWith runs one Sync of p with cursor and returns what it reported.
func syncWith(t *testing.T, p providers.Provider, cursor []byte) (*providers.Result, *providertest.Progress, error) {
	t.Helper()
	return providertest.SyncCounted(p, cursor)
}

// writeObject writes content to dir/name and returns its file:// URL.
func writeObject(t *testing.T, dir, name string, content []byte) string {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), content, 0o644))
	return "file://" + filepath.ToSlash(filepath.Join(dir, name))
}

const smallDocument = `{"users": [{"id": "u1", "email": "a@example.com", "groupIds": ["g1"]}], "groups": [{"id": "g1", "name": "G"}]}`

func TestSyncFormats(t *testing.T) {
	bundle := makeZip(t,
		zipEntry{name: "pomerium.io/DirectoryUser.json", content: `[{"id": "u1", "email": "a@example.com", "group_ids": ["g1"]}]`},
		zipEntry{name: "pomerium.io/DirectoryGroup.json", content: `[{"id": "g1", "name": "G"}]`})
	tests := []struct {
		name, key, format string
		content           []byte
	}{
		{"auto json", "directory.json", "", []byte(smallDocument)},
		{"auto json without extension", "directory", "auto", []byte(smallDocument)},
		{"auto bundle", "bundle.zip", "auto", bundle},
		{"auto bundle upper case", "EXPORT.ZIP", "", bundle},
		{"json whatever the key", "dir.zip", "json", []byte(smallDocument)},
		{"bundle whatever the key", "export.bin", "bundle", bundle},
	}
	wantUsers := []*dirsyncv1.User{{Id: "u1", Email: "a@example.com", GroupIds: []string{"g1"}}}
	wantGroups := []*dirsyncv1.Group{{Id: "g1", Name: "G"}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := writeObject(t, t.TempDir(), tt.key, tt.content)
			p, err := newProvider(Options{URL: url, Format: tt.format}, nil)
			require.NoError(t, err)
			res, pr, err := syncWith(t, p, nil)
			require.NoError(t, err)
			require.True(t, res.Full)
			require.False(t, res.Unchanged)
			require.NotEmpty(t, res.Cursor)
			requireRecords(t, wantUsers, wantGroups, res.Users, res.Groups)
			require.Equal(t, 2, pr.Requests(), "attributes, then the object")
			require.Equal(t, 1, pr.UsersRead())
			require.Equal(t, 1, pr.GroupsRead())
		})
	}
}

func TestSyncUnchangedFile(t *testing.T) {
	dir := t.TempDir()
	url := writeObject(t, dir, "directory.json", []byte(smallDocument))
	path := filepath.Join(dir, "directory.json")
	p, err := newProvider(Options{URL: url}, nil)
	require.NoError(t, err)

	first, pr, err := syncWith(t, p, nil)
	require.NoError(t, err)
	require.Len(t, first.Users, 1)
	require.Equal(t, 1, pr.Reads())

	// Same content: skipped after one request, nothing read.
	res, pr, err := syncWith(t, p, first.Cursor)
	require.NoError(t, err)
	require.Equal(t, &providers.Result{Unchanged: true, Cursor: first.Cursor}, res)
	require.Equal(t, 1, pr.Requests())
	require.Zero(t, pr.Reads())

	// Garbage of the same size with the old modification time: the version matches, so the
	// object is not read (reading it would fail).
	info, err := os.Stat(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, []byte(strings.Repeat("#", len(smallDocument))), 0o644))
	require.NoError(t, os.Chtimes(path, info.ModTime(), info.ModTime()))
	res, _, err = syncWith(t, p, first.Cursor)
	require.NoError(t, err)
	require.True(t, res.Unchanged)

	// A nil cursor always reads.
	_, _, err = syncWith(t, p, nil)
	require.ErrorContains(t, err, "directory.json: line 1, column 1: expected an object")

	// Changed file: read again.
	require.NoError(t, os.WriteFile(path, []byte(`{"users": [{"id": "u1"}, {"id": "u2"}]}`), 0o644))
	require.NoError(t, os.Chtimes(path, info.ModTime().Add(time.Second), info.ModTime().Add(time.Second)))
	second, pr, err := syncWith(t, p, first.Cursor)
	require.NoError(t, err)
	require.True(t, second.Full)
	require.Len(t, second.Users, 2)
	require.Equal(t, 2, pr.Requests())
	require.NotEqual(t, first.Cursor, second.Cursor)
}

func TestSyncUnchangedMem(t *testing.T) {
	ctx := context.Background()
	bucket := memblob.OpenBucket(nil)
	t.Cleanup(func() { _ = bucket.Close() })
	require.NoError(t, bucket.WriteAll(ctx, "dir.json", []byte(smallDocument), nil))
	p, err := newProvider(Options{URL: "mem://test/dir.json"}, bucket)
	require.NoError(t, err)

	first, _, err := syncWith(t, p, nil)
	require.NoError(t, err)
	require.Len(t, first.Users, 1)

	res, pr, err := syncWith(t, p, first.Cursor)
	require.NoError(t, err)
	require.True(t, res.Unchanged)
	require.Equal(t, 1, pr.Requests())
	require.Zero(t, pr.Reads())

	// Another provider's cursor (other URL, other format) does not match.
	other, err := newProvider(Options{URL: "mem://test/dir.json", Format: "bundle"}, bucket)
	require.NoError(t, err)
	_, pr, err = syncWith(t, other, first.Cursor)
	require.ErrorContains(t, err, "dir.json: not a valid zip archive")
	require.Equal(t, 2, pr.Requests())
	res, _, err = syncWith(t, p, []byte("not a cursor"))
	require.NoError(t, err)
	require.True(t, res.Full)

	require.NoError(t, bucket.WriteAll(ctx, "dir.json", []byte(`{"groups": [{"id": "g9"}]}`), nil))
	res, pr, err = syncWith(t, p, first.Cursor)
	require.NoError(t, err)
	require.True(t, res.Full)
	require.Empty(t, res.Users)
	require.Len(t, res.Groups, 1)
	require.Equal(t, 1, pr.Reads())
}

func TestSyncErrors(t *testing.T) {
	dir := t.TempDir()
	bad := writeObject(t, dir, "directory.json", []byte("{\"users\": [\n  {\"id\": \"u1\", \"emial\": \"x\"}]}"))
	tests := []struct {
		name, url string
		bucket    bool // use an empty mem bucket
		want      string
	}{
		{"missing file", "file://" + dir + "/nope.json", false, "blob file://" + dir + "/nope.json: object not found"},
		{"missing mem object", "mem://b/dir.json", true, "blob mem://b/dir.json: object not found"},
		{"missing directory", "file://" + dir + "/sub/dir.json", false, "blob file://" + dir + "/sub/dir.json: open bucket: "},
		{"malformed", bad, false, "blob " + bad + `: directory.json: users[0] (line 2, column 16): unknown field "emial"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b *gcblob.Bucket
			if tt.bucket {
				b = memblob.OpenBucket(nil)
			}
			p, err := newProvider(Options{URL: tt.url}, b)
			require.NoError(t, err)
			res, _, err := syncWith(t, p, nil)
			require.Nil(t, res)
			require.ErrorContains(t, err, tt.want)
			require.True(t, strings.HasPrefix(err.Error(), tt.want), err.Error())
		})
	}
}

func TestSyncCanceled(t *testing.T) {
	url := writeObject(t, t.TempDir(), "directory.json", []byte(smallDocument))
	p, err := newProvider(Options{URL: url}, nil)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := p.Sync(ctx, nil)
	require.Nil(t, res)
	require.ErrorIs(t, err, context.Canceled)
}

func TestRegister(t *testing.T) {
	typ := providertest.Type(t, Register, "blob")
	require.Equal(t, "Blob file (file, S3, GCS, Azure)", typ.Title)
	url, ok := typ.Option("url")
	require.True(t, ok)
	require.True(t, url.Required)
	require.NotEmpty(t, url.Description)
	format, ok := typ.Option("format")
	require.True(t, ok)
	require.Equal(t, "auto", format.Default)

	fileURL := writeObject(t, t.TempDir(), "directory.json", []byte(smallDocument))
	tests := []struct {
		name, options, want string
	}{
		{"valid", "url: " + fileURL, ""},
		{"valid with format", "url: " + fileURL + "\nformat: json", ""},
		{"unknown option", "url: " + fileURL + "\nbogus: 1", `unknown option "bogus"`},
		{"missing url", "format: json", `option "url": required`},
		{"empty url", "url: ''", `option "url": required`},
		{"bad format", "url: " + fileURL + "\nformat: csv", `option "format": "csv" is not auto, json or bundle`},
		{"bad scheme", "url: http://example.com/dir.json", `option "url": url http://example.com/dir.json: unsupported scheme "http"`},
		{"no key", "url: s3://bucket", `option "url": url s3://bucket: names no object`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := providertest.NewFromOptions(t, typ, tt.options)
			if tt.want != "" {
				require.ErrorContains(t, err, tt.want)
				require.Nil(t, p)
				return
			}
			require.NoError(t, err)
			res, _, err := syncWith(t, p, nil)
			require.NoError(t, err)
			require.Len(t, res.Users, 1)
		})
	}
}

func TestFetchErrorUnwraps(t *testing.T) {
	p, err := newProvider(Options{URL: "mem://b/x.json"}, memblob.OpenBucket(nil))
	require.NoError(t, err)
	_, _, err = syncWith(t, p, nil)
	var fe *fetchError
	require.True(t, errors.As(err, &fe))
	require.NotNil(t, errors.Unwrap(err))
}
