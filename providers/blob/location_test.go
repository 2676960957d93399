package blob

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseLocation(t *testing.T) {
	tests := []struct {
		url                  string
		bucket, key, display string
	}{
		{"file:///var/lib/dirsync/directory.json", "file:///var/lib/dirsync/", "directory.json", "file:///var/lib/dirsync/directory.json"},
		{"file:///dir.json", "file:///", "dir.json", "file:///dir.json"},
		{"file://./dir.json", "file://./.", "dir.json", "file://./dir.json"},
		{"file:///srv/x.json?metadata=skip", "file:///srv/?metadata=skip", "x.json", "file:///srv/x.json?metadata=skip"},
		{"s3://bucket/path/dir.json?region=us-east-1", "s3://bucket?region=us-east-1", "path/dir.json", "s3://bucket/path/dir.json?region=us-east-1"},
		{"gs://bucket/dir.json", "gs://bucket", "dir.json", "gs://bucket/dir.json"},
		{"azblob://container/a/b/bundle.zip", "azblob://container", "a/b/bundle.zip", "azblob://container/a/b/bundle.zip"},
		{"mem://bucket/dir.json", "mem://bucket", "dir.json", "mem://bucket/dir.json"},
		{"s3://user:hunter2@bucket/k.json?sig=abc&region=eu", "s3://user:hunter2@bucket?sig=abc&region=eu", "k.json", "s3://bucket/k.json?region=eu&sig=REDACTED"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			loc, err := parseLocation(tt.url)
			require.NoError(t, err)
			require.Equal(t, location{bucketURL: tt.bucket, key: tt.key, display: tt.display}, loc)
		})
	}
}

func TestParseLocationErrors(t *testing.T) {
	tests := []struct{ url, want string }{
		{"ftp://host/dir.json", `url ftp://host/dir.json: unsupported scheme "ftp" (supported: `},
		{"/var/lib/dir.json", `url /var/lib/dir.json: unsupported scheme ""`},
		{"s3:///dir.json", "url s3:///dir.json: no bucket (want s3://BUCKET/KEY)"},
		{"s3://bucket", "url s3://bucket: names no object"},
		{"gs://bucket/dir/", "url gs://bucket/dir/: names no object"},
		{"file:///var/lib/", "url file:///var/lib/: names no object"},
		{"s3://u:secret@b/%zz", "invalid url: invalid URL escape"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			_, err := parseLocation(tt.url)
			require.ErrorContains(t, err, tt.want)
			require.NotContains(t, err.Error(), "secret")
		})
	}
}
