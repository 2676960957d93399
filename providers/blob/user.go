package blob

import (
	"math/bits"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// Bits naming the fields of User, for duplicate detection and the Pomerium subset.
const (
	uID = 1 << iota
	uDirectory
	uDisplayName
	uEmail
	uUsername
	uGivenName
	uFamilyName
	uState
	uGroupIDs
	uEffectiveGroupIDs
	uAttributes

	pomeriumUserFields = uID | uDisplayName | uEmail | uGroupIDs
)

// userField returns the bit of the User field named key (proto or JSON name), or 0.
func userField(key []byte) int {
	switch string(key) {
	case "id":
		return uID
	case "directory":
		return uDirectory
	case "display_name", "displayName":
		return uDisplayName
	case "email":
		return uEmail
	case "username":
		return uUsername
	case "given_name", "givenName":
		return uGivenName
	case "family_name", "familyName":
		return uFamilyName
	case "state":
		return uState
	case "group_ids", "groupIds":
		return uGroupIDs
	case "effective_group_ids", "effectiveGroupIds":
		return uEffectiveGroupIDs
	case "attributes":
		return uAttributes
	}
	return 0
}

// user reads one user object (the next value must be an object).
func (d *decoder) user() (*dirsyncv1.User, error) {
	if err := d.expectObject(); err != nil {
		return nil, err
	}
	if len(d.users) == 0 {
		d.users = make([]dirsyncv1.User, slabSize)
	}
	u := &d.users[0]
	d.users = d.users[1:]
	d.pending.reset()
	m, _ := d.s.object()
	seen := 0
	for {
		key, at, ok, err := m.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			d.pending.flush()
			return u, nil
		}
		f := userField(key)
		if f == 0 || (d.pomerium && f&pomeriumUserFields == 0) {
			return nil, errorAt(at, "unknown field %q", key)
		}
		if seen&f != 0 {
			return nil, errorAt(at, "duplicate field %q", key)
		}
		seen |= f
		name := userNames[bits.TrailingZeros(uint(f))]
		switch f {
		case uID:
			err = d.textInto(name, &u.Id)
		case uDirectory:
			err = d.textInto(name, nil)
		case uDisplayName:
			err = d.textInto(name, &u.DisplayName)
		case uEmail:
			err = d.textInto(name, &u.Email)
		case uUsername:
			err = d.textInto(name, &u.Username)
		case uGivenName:
			err = d.textInto(name, &u.GivenName)
		case uFamilyName:
			err = d.textInto(name, &u.FamilyName)
		case uState:
			u.State, err = d.state(name)
		case uGroupIDs:
			u.GroupIds, err = d.idList(name)
		case uEffectiveGroupIDs:
			_, err = d.idList(name)
		case uAttributes:
			u.Attributes, err = d.attributes(name)
		}
		if err != nil {
			return nil, err
		}
	}
}

// userNames are the proto names of User's fields, indexed by the position of their bit.
var userNames = [...]string{"id", "directory", "display_name", "email", "username", "given_name",
	"family_name", "state", "group_ids", "effective_group_ids", "attributes"}
