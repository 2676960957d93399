package pomerium

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/dirsync/dirsync/store"
)

// Field numbers of dirsync.v1.Record, User and Group that the sink reads.
const (
	recordUser  = 10
	recordGroup = 11

	userID          = 1
	userDisplayName = 3
	userEmail       = 4
	userEffective   = 10

	groupID    = 1
	groupName  = 3
	groupEmail = 4
)

// decodeEntry returns the databroker entry of a stored user or group (a tombstone converts
// like the record it deletes), reading the encoded record without decoding it whole:
//
//	pomerium.io/DirectoryUser  {id, group_ids (the effective group ids), display_name, email}
//	pomerium.io/DirectoryGroup {id, name, email}
//
// Pomerium matches the `groups` criterion against a user's group_ids, so they are the
// transitive memberships.
func decodeEntry(r store.Record) (entry, error) {
	data, num, err := oneofData(r.Data)
	if err != nil {
		return entry{}, fmt.Errorf("%s %q of directory %q: %w", r.Type, r.ID, r.Directory, err)
	}
	var str [5]string
	var groups []string
	err = scan(data, func(n protowire.Number, v []byte) error {
		switch {
		case num == recordUser && n == userEffective:
			groups = append(groups, string(v))
		case n < protowire.Number(len(str)):
			str[n] = string(v)
		}
		return nil
	})
	if err != nil {
		return entry{}, fmt.Errorf("%s %q of directory %q: %w", r.Type, r.ID, r.Directory, err)
	}
	if num == recordUser {
		return entry{TypeUser, r.ID, encodeFields(field{"display_name", str[userDisplayName], nil}, field{"email", str[userEmail], nil},
			field{"group_ids", "", nonNil(groups)}, field{"id", r.ID, nil})}, nil
	}
	return entry{TypeGroup, r.ID, encodeFields(field{"email", str[groupEmail], nil}, field{"id", r.ID, nil},
		field{"name", str[groupName], nil})}, nil
}

// oneofData returns the encoded User or Group of an encoded Record and its field number.
func oneofData(b []byte) ([]byte, protowire.Number, error) {
	var data []byte
	var num protowire.Number
	err := scan(b, func(n protowire.Number, v []byte) error {
		if n == recordUser || n == recordGroup {
			data, num = v, n
		}
		return nil
	})
	if err == nil && num == 0 {
		err = errors.New("no user or group data")
	}
	return data, num, err
}

// scan calls fn for each length-delimited field of the message b, skipping the others, and
// stops at fn's first error.
func scan(b []byte, fn func(protowire.Number, []byte) error) error {
	for len(b) > 0 {
		n, t, l := protowire.ConsumeTag(b)
		if l < 0 {
			return protowire.ParseError(l)
		}
		b = b[l:]
		if t == protowire.BytesType {
			v, l := protowire.ConsumeBytes(b)
			if l < 0 {
				return protowire.ParseError(l)
			}
			if err := fn(n, v); err != nil {
				return err
			}
			b = b[l:]
			continue
		}
		l = protowire.ConsumeFieldValue(n, t, b)
		if l < 0 {
			return protowire.ParseError(l)
		}
		b = b[l:]
	}
	return nil
}
