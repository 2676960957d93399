package blob

import (
	"math/bits"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// Bits naming the fields of Group.
const (
	gID = 1 << iota
	gDirectory
	gName
	gEmail
	gDescription
	gGroupIDs
	gEffectiveGroupIDs
	gAttributes

	pomeriumGroupFields = gID | gName | gEmail
)

// groupField returns the bit of the Group field named key (proto or JSON name), or 0.
func groupField(key []byte) int {
	switch string(key) {
	case "id":
		return gID
	case "directory":
		return gDirectory
	case "name":
		return gName
	case "email":
		return gEmail
	case "description":
		return gDescription
	case "group_ids", "groupIds":
		return gGroupIDs
	case "effective_group_ids", "effectiveGroupIds":
		return gEffectiveGroupIDs
	case "attributes":
		return gAttributes
	}
	return 0
}

// group reads one group object (the next value must be an object).
func (d *decoder) group() (*dirsyncv1.Group, error) {
	if err := d.expectObject(); err != nil {
		return nil, err
	}
	if len(d.groups) == 0 {
		d.groups = make([]dirsyncv1.Group, slabSize)
	}
	g := &d.groups[0]
	d.groups = d.groups[1:]
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
			return g, nil
		}
		f := groupField(key)
		if f == 0 || (d.pomerium && f&pomeriumGroupFields == 0) {
			return nil, errorAt(at, "unknown field %q", key)
		}
		if seen&f != 0 {
			return nil, errorAt(at, "duplicate field %q", key)
		}
		seen |= f
		name := groupNames[bits.TrailingZeros(uint(f))]
		switch f {
		case gID:
			err = d.textInto(name, &g.Id)
		case gDirectory:
			err = d.textInto(name, nil)
		case gName:
			err = d.textInto(name, &g.Name)
		case gEmail:
			err = d.textInto(name, &g.Email)
		case gDescription:
			err = d.textInto(name, &g.Description)
		case gGroupIDs:
			g.GroupIds, err = d.idList(name)
		case gEffectiveGroupIDs:
			_, err = d.idList(name)
		case gAttributes:
			g.Attributes, err = d.attributes(name)
		}
		if err != nil {
			return nil, err
		}
	}
}

// groupNames are the proto names of Group's fields, indexed by the position of their bit.
var groupNames = [...]string{"id", "directory", "name", "email", "description", "group_ids",
	"effective_group_ids", "attributes"}
