package blob

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gocloud.dev/blob"
)

func TestVersionUnchangedSince(t *testing.T) {
	mod := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	withETag := versionOf("s3://b/k.json", formatJSON, &blob.Attributes{ETag: `"abc"`, ModTime: mod, Size: 10})
	noETag := versionOf("s3://b/k.json", formatJSON, &blob.Attributes{ModTime: mod, Size: 10})
	tests := []struct {
		name   string
		now    version
		cursor []byte
		want   bool
	}{
		{"same ETag", withETag, withETag.encode(), true},
		{"same ETag, other time", versionOf("s3://b/k.json", formatJSON, &blob.Attributes{ETag: `"abc"`, ModTime: mod.Add(time.Hour), Size: 10}), withETag.encode(), true},
		{"other ETag", versionOf("s3://b/k.json", formatJSON, &blob.Attributes{ETag: `"abd"`, ModTime: mod, Size: 10}), withETag.encode(), false},
		{"ETag gone", noETag, withETag.encode(), false},
		{"no ETag, same time and size", noETag, noETag.encode(), true},
		{"no ETag, other time", versionOf("s3://b/k.json", formatJSON, &blob.Attributes{ModTime: mod.Add(1), Size: 10}), noETag.encode(), false},
		{"no ETag, other size", versionOf("s3://b/k.json", formatJSON, &blob.Attributes{ModTime: mod, Size: 11}), noETag.encode(), false},
		{"no ETag, no time", versionOf("s3://b/k.json", formatJSON, &blob.Attributes{Size: 10}),
			versionOf("s3://b/k.json", formatJSON, &blob.Attributes{Size: 10}).encode(), false},
		{"other URL", versionOf("s3://b/other.json", formatJSON, &blob.Attributes{ETag: `"abc"`}), withETag.encode(), false},
		{"other format", versionOf("s3://b/k.json", formatBundle, &blob.Attributes{ETag: `"abc"`}), withETag.encode(), false},
		{"nil cursor", withETag, nil, false},
		{"unreadable cursor", withETag, []byte("\x00garbage"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, tt.now.unchangedSince(tt.cursor))
		})
	}
}
