package blob

import (
	"context"
	"io"
	"strconv"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// decoder reads users and groups from a JSON stream in the protojson form of
// dirsyncv1.User and Group (proto and JSON field names both accepted, unknown fields
// rejected), or in the narrower Pomerium bundle form. It ignores `directory` and
// `effective_group_ids` (the syncer sets them) and rejects entries without an id and
// duplicate ids. Records are allocated in slabs, and group ids are shared strings.
type decoder struct {
	s        *scanner
	pomerium bool              // accept only the fields of Pomerium's directory records
	interned map[string]string // group ids seen so far
	list     []string          // scratch for id lists
	users    []dirsyncv1.User  // slab the next users are taken from
	groups   []dirsyncv1.Group // slab the next groups are taken from
	pending  pendingText       // text fields of the current record
}

const slabSize = 256

func newDecoder(r io.Reader, pomerium bool) *decoder {
	return &decoder{s: newScanner(r), pomerium: pomerium, interned: map[string]string{}}
}

// expectObject checks that the next value is an object.
func (d *decoder) expectObject() error {
	c, err := d.s.peek()
	if err != nil {
		return err
	}
	if c != '{' {
		return errorAt(d.s.here(), "expected an object, found %s", describe(c))
	}
	return nil
}

// entries reads an array of records (or null, as none) with read, labelling errors
// section[i]. Every record needs a unique non-empty id. It checks ctx now and then.
func entries[T any](ctx context.Context, d *decoder, section string, read func() (T, error), id func(T) string) ([]T, error) {
	c, err := d.s.peek()
	if err != nil {
		return nil, err
	}
	if c == 'n' {
		return nil, d.s.literal("null")
	}
	if c != '[' {
		return nil, errorAt(d.s.here(), "expected an array of records, found %s", describe(c))
	}
	e, _ := d.s.array()
	var out []T
	first := map[string]int{}
	for i := 0; ; i++ {
		label := func() string { return section + "[" + strconv.Itoa(i) + "]" }
		at, ok, err := e.next()
		if err != nil {
			return nil, inFile(err, "", label())
		}
		if !ok {
			return out, nil
		}
		if i%4096 == 4095 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		r, err := read()
		if err != nil {
			return nil, inFile(err, "", label())
		}
		key := id(r)
		if key == "" {
			return nil, &inputError{entry: label(), pos: at, msg: "missing id"}
		}
		if j, dup := first[key]; dup {
			return nil, &inputError{entry: label(), pos: at,
				msg: "duplicate id " + strconv.Quote(key) + " (first at " + section + "[" + strconv.Itoa(j) + "])"}
		}
		first[key] = i
		out = append(out, r)
	}
}
