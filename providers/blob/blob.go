// Package blob is the `blob` provider: it reads a whole directory from one object in a
// bucket that gocloud.dev/blob can open (file://, s3://, gs://, azblob://, mem://), in
// dirsync's JSON form or as a Pomerium directory bundle. It owns locating and fetching the
// object, skipping the read when the object is unchanged, and decoding it strictly:
// malformed input is an error naming the file, the entry and the position, never a partial
// result. Cloud credentials come from each cloud's default chain; it never writes.
package blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// Options configures a blob directory. The tags are its schema.
type Options struct {
	URL    string `yaml:"url" required:"true" desc:"bucket URL plus object key, e.g. file:///var/lib/dirsync/directory.json, s3://bucket/dir.json?region=us-east-1, gs://bucket/dir.json, azblob://container/dir.json"`
	Format string `yaml:"format" default:"auto" desc:"json (dirsync users/groups), bundle (Pomerium bundle.zip) or auto (bundle when the key ends in .zip, else json)"`
}

// Register adds the blob provider type to r.
func Register(r *providers.Registry) {
	providers.Register(r, "blob", "Blob file (file, S3, GCS, Azure)",
		func(o Options, _ providers.Deps) (providers.Provider, error) { return newProvider(o, nil) })
}

// format is how the object is decoded.
type format string

const (
	formatAuto   format = "auto"
	formatJSON   format = "json"
	formatBundle format = "bundle"
)

// provider reads one object each Sync.
type provider struct {
	loc    location
	format format // json or bundle
	// bucket, when set, is used instead of opening loc.bucketURL (tests: a mem:// bucket
	// is empty each time it is opened). It is never closed.
	bucket *blob.Bucket
}

// newProvider checks o and returns its provider, reading from bucket if it is not nil.
func newProvider(o Options, bucket *blob.Bucket) (*provider, error) {
	loc, err := parseLocation(o.URL)
	if err != nil {
		return nil, fmt.Errorf("option %q: %w", "url", err)
	}
	f := format(o.Format)
	switch f {
	case formatAuto, "":
		f = formatJSON
		if strings.HasSuffix(strings.ToLower(loc.key), ".zip") {
			f = formatBundle
		}
	case formatJSON, formatBundle:
	default:
		return nil, fmt.Errorf("option %q: %q is not auto, json or bundle", "format", o.Format)
	}
	return &provider{loc: loc, format: f, bucket: bucket}, nil
}

// Sync reads the object's attributes and, unless they match cursor, the whole object. The
// result is always Full, or Unchanged with cursor. Each object request (attributes, read)
// is reported to the context's Progress, and the records once decoded.
//
// The cursor is taken from the attributes read before the object: if the object changes
// in between, the next Sync sees a newer version and reads again.
func (p *provider) Sync(ctx context.Context, cursor []byte) (*providers.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b, err := p.open(ctx)
	if err != nil {
		return nil, err
	}
	if p.bucket == nil {
		defer b.Close()
	}
	progress := providers.ProgressFrom(ctx)
	progress.Request()
	attrs, err := b.Attributes(ctx, p.loc.key)
	if err != nil {
		return nil, p.fetchError("read attributes", err)
	}
	v := versionOf(p.loc.display, p.format, attrs)
	if v.unchangedSince(cursor) {
		return &providers.Result{Unchanged: true, Cursor: cursor}, nil
	}
	progress.Request()
	r, err := b.NewReader(ctx, p.loc.key, nil)
	if err != nil {
		return nil, p.fetchError("read", err)
	}
	defer r.Close()
	users, groups, err := p.decode(ctx, r, attrs.Size)
	if err != nil {
		var ie *inputError
		if errors.As(err, &ie) || ctx.Err() != nil {
			return nil, fmt.Errorf("blob %s: %w", p.loc.display, err)
		}
		return nil, p.fetchError("read", err)
	}
	progress.Read(len(users), len(groups))
	return &providers.Result{Full: true, Users: users, Groups: groups, Cursor: v.encode()}, nil
}

// decode reads the object from r in p's format; size is its expected length.
func (p *provider) decode(ctx context.Context, r io.Reader, size int64) ([]*dirsyncv1.User, []*dirsyncv1.Group, error) {
	if p.format == formatJSON {
		return decodeDocument(ctx, p.loc.key, r)
	}
	// A zip archive is read from its end: hold it in memory.
	buf := bytes.NewBuffer(make([]byte, 0, max(size, 0)+bytes.MinRead))
	if _, err := buf.ReadFrom(r); err != nil {
		return nil, nil, err
	}
	return decodeBundle(ctx, p.loc.key, buf.Bytes())
}

// open returns the bucket to read from.
func (p *provider) open(ctx context.Context) (*blob.Bucket, error) {
	if p.bucket != nil {
		return p.bucket, nil
	}
	b, err := blob.OpenBucket(ctx, p.loc.bucketURL)
	if err != nil {
		// Drivers quote the bucket URL; show it without credentials.
		msg := err.Error()
		if u, perr := url.Parse(p.loc.bucketURL); perr == nil {
			msg = strings.ReplaceAll(msg, p.loc.bucketURL, redact(u))
		}
		return nil, &fetchError{msg: fmt.Sprintf("blob %s: open bucket: %s", p.loc.display, msg), err: err}
	}
	return b, nil
}

// fetchError describes a failed request for the object, op naming what was asked.
func (p *provider) fetchError(op string, err error) error {
	prefix := "blob " + p.loc.display + ": "
	switch gcerrors.Code(err) {
	case gcerrors.NotFound:
		return &fetchError{msg: prefix + "object not found", err: err}
	case gcerrors.PermissionDenied:
		return &fetchError{msg: prefix + "permission denied: " + err.Error(), err: err}
	}
	return &fetchError{msg: prefix + op + ": " + err.Error(), err: err}
}

// fetchError is a failure to reach the object. Its message is written for operators and
// names the URL without credentials; it unwraps to the driver's error.
type fetchError struct {
	msg string
	err error
}

func (e *fetchError) Error() string { return e.msg }
func (e *fetchError) Unwrap() error { return e.err }
