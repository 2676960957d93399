package blob

import (
	"encoding/json"

	"gocloud.dev/blob"
)

// version identifies one state of the object. It is the provider's cursor, stored as JSON.
// The object is unchanged when URL and format are the same and either both ETags are set
// and equal, or neither has an ETag and modification time and size are equal.
type version struct {
	URL     string `json:"url"` // without credentials
	Format  string `json:"format"`
	ETag    string `json:"etag,omitempty"`
	ModTime int64  `json:"mod_time_ns,omitempty"`
	Size    int64  `json:"size"`
}

// versionOf returns the version of an object with attrs, read from display as format.
func versionOf(display string, f format, attrs *blob.Attributes) version {
	v := version{URL: display, Format: string(f), ETag: attrs.ETag, Size: attrs.Size}
	if !attrs.ModTime.IsZero() {
		v.ModTime = attrs.ModTime.UnixNano()
	}
	return v
}

// encode returns v as a cursor.
func (v version) encode() []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // a struct of strings and ints always marshals
	}
	return b
}

// unchangedSince reports whether cursor names the same object version as v. A nil or
// unreadable cursor never matches.
func (v version) unchangedSince(cursor []byte) bool {
	var c version
	if cursor == nil || json.Unmarshal(cursor, &c) != nil {
		return false
	}
	if c.URL != v.URL || c.Format != v.Format {
		return false
	}
	if c.ETag != "" || v.ETag != "" {
		return c.ETag == v.ETag
	}
	return c.ModTime != 0 && c.ModTime == v.ModTime && c.Size == v.Size
}
