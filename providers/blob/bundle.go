package blob

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// Entries of a Pomerium directory bundle.
const (
	bundleUsers  = "pomerium.io/DirectoryUser.json"
	bundleGroups = "pomerium.io/DirectoryGroup.json"
)

// decodeBundle reads a Pomerium-style directory bundle: a zip archive whose entry
// bundleUsers is a JSON array of {id, display_name, email, group_ids} and whose optional
// entry bundleGroups is a JSON array of {id, name, email}. Other entries are ignored.
// Malformed input (including a corrupt archive) is an *inputError naming name, the zip
// entry, the record entry and the position; nothing is returned with an error.
func decodeBundle(ctx context.Context, name string, data []byte) ([]*dirsyncv1.User, []*dirsyncv1.Group, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, nil, &inputError{file: name, msg: "not a valid zip archive: " + err.Error()}
	}
	var userFile, groupFile *zip.File
	for _, f := range zr.File {
		var slot **zip.File
		switch f.Name {
		case bundleUsers:
			slot = &userFile
		case bundleGroups:
			slot = &groupFile
		default:
			continue
		}
		if *slot != nil {
			return nil, nil, &inputError{file: name, msg: "entry " + f.Name + " appears twice"}
		}
		*slot = f
	}
	if userFile == nil {
		return nil, nil, &inputError{file: name, msg: "no entry " + bundleUsers}
	}
	d := newDecoder(nil, true)
	var users []*dirsyncv1.User
	err = readEntry(name, userFile, d, func() (err error) {
		users, err = entries(ctx, d, "", d.user, (*dirsyncv1.User).GetId)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	var groups []*dirsyncv1.Group
	if groupFile != nil {
		err = readEntry(name, groupFile, d, func() (err error) {
			groups, err = entries(ctx, d, "", d.group, (*dirsyncv1.Group).GetId)
			return err
		})
		if err != nil {
			return nil, nil, err
		}
	}
	return users, groups, nil
}

// readEntry points d at the zip entry f, runs read, and checks that the entry ends after
// one document. Any failure, a corrupt entry included, is an *inputError naming the entry.
func readEntry(name string, f *zip.File, d *decoder, read func() error) error {
	file := name + ": " + f.Name
	rc, err := f.Open()
	if err != nil {
		return &inputError{file: file, msg: err.Error()}
	}
	defer rc.Close()
	d.s = newScanner(rc)
	d.s.skipBOM()
	if err = read(); err == nil {
		err = d.s.finish()
	}
	if err == nil {
		return nil
	}
	var ie *inputError
	if !errors.As(err, &ie) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		// The archive is in memory: a failing read is a corrupt entry.
		err = &inputError{pos: d.s.here(), msg: "corrupt entry: " + err.Error()}
	}
	return inFile(err, file, "")
}
