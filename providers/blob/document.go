package blob

import (
	"context"
	"io"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// decodeDocument reads a dirsync JSON directory, {"users": [User…], "groups": [Group…]},
// streaming: memory grows with the records, not with the document's text. Both members
// are optional; any other member is an error. Malformed input is an *inputError naming
// name, the entry and the position; nothing is returned with an error.
func decodeDocument(ctx context.Context, name string, r io.Reader) ([]*dirsyncv1.User, []*dirsyncv1.Group, error) {
	users, groups, err := readDocument(ctx, newDecoder(r, false))
	if err != nil {
		return nil, nil, inFile(err, name, "")
	}
	return users, groups, nil
}

func readDocument(ctx context.Context, d *decoder) (users []*dirsyncv1.User, groups []*dirsyncv1.Group, err error) {
	d.s.skipBOM()
	c, err := d.s.peek()
	if err != nil {
		return nil, nil, err
	}
	if c != '{' {
		return nil, nil, errorAt(d.s.here(), `expected an object {"users": [...], "groups": [...]}, found %s`, describe(c))
	}
	m, _ := d.s.object()
	var seenUsers, seenGroups bool
	for {
		key, at, ok, err := m.next()
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			break
		}
		switch string(key) {
		case "users":
			if seenUsers {
				return nil, nil, errorAt(at, `duplicate member "users"`)
			}
			seenUsers = true
			if users, err = entries(ctx, d, "users", d.user, (*dirsyncv1.User).GetId); err != nil {
				return nil, nil, err
			}
		case "groups":
			if seenGroups {
				return nil, nil, errorAt(at, `duplicate member "groups"`)
			}
			seenGroups = true
			if groups, err = entries(ctx, d, "groups", d.group, (*dirsyncv1.Group).GetId); err != nil {
				return nil, nil, err
			}
		default:
			return nil, nil, errorAt(at, "unknown member %q (expected users or groups)", key)
		}
	}
	return users, groups, d.s.finish()
}
