package blob

import (
	"strconv"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// wrongType is the error for a value of the wrong JSON type at the scanner's position.
func (d *decoder) wrongType(field, want string, c byte) error {
	return errorAt(d.s.here(), "field %q: expected %s, found %s", field, want, describe(c))
}

// textInto reads a string value, or null as "", into *dst (nil: checked, then dropped).
// The bytes wait in d.pending and become strings when the record is complete: one
// allocation for all of a record's text.
func (d *decoder) textInto(field string, dst *string) error {
	c, err := d.s.peek()
	if err != nil {
		return err
	}
	switch c {
	case '"':
		b, err := d.s.str()
		if err == nil && dst != nil {
			d.pending.add(dst, b)
		}
		return err
	case 'n':
		return d.s.literal("null")
	}
	return d.wrongType(field, "a string", c)
}

// idList reads an array of strings, or null as none. Equal ids share one string across
// the whole document: group ids repeat in every member's list.
func (d *decoder) idList(field string) ([]string, error) {
	c, err := d.s.peek()
	if err != nil {
		return nil, err
	}
	switch c {
	case 'n':
		return nil, d.s.literal("null")
	case '[':
	default:
		return nil, d.wrongType(field, "an array of strings", c)
	}
	e, err := d.s.array()
	if err != nil {
		return nil, err
	}
	list := d.list[:0]
	for {
		_, ok, err := e.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if c, _ = d.s.peek(); c != '"' {
			return nil, d.wrongType(field, "a string element", c)
		}
		b, err := d.s.str()
		if err != nil {
			return nil, err
		}
		id, ok := d.interned[string(b)]
		if !ok {
			id = string(b)
			d.interned[id] = id
		}
		list = append(list, id)
	}
	d.list = list
	if len(list) == 0 {
		return nil, nil
	}
	return append([]string(nil), list...), nil
}

// state reads a UserState by name or number, or null as unspecified.
func (d *decoder) state(field string) (dirsyncv1.UserState, error) {
	c, err := d.s.peek()
	if err != nil {
		return 0, err
	}
	at := d.s.here()
	switch {
	case c == 'n':
		return 0, d.s.literal("null")
	case c == '"':
		b, err := d.s.str()
		if err != nil {
			return 0, err
		}
		v, ok := dirsyncv1.UserState_value[string(b)]
		if !ok {
			return 0, errorAt(at, "field %q: unknown state %q", field, b)
		}
		return dirsyncv1.UserState(v), nil
	case c == '-' || (c >= '0' && c <= '9'):
		b, err := d.s.number()
		if err != nil {
			return 0, err
		}
		v, err := strconv.ParseInt(string(b), 10, 32)
		if err != nil {
			return 0, errorAt(at, "field %q: state %s is not a 32-bit integer", field, b)
		}
		return dirsyncv1.UserState(v), nil
	}
	return 0, d.wrongType(field, "a state name or number", c)
}

// pendingText gathers a record's text fields so that they share one allocation.
type pendingText struct {
	buf []byte
	dst [8]*string
	end [8]int
	n   int
}

// add queues b (copied) to become *dst at flush; a later add for dst replaces it.
func (p *pendingText) add(dst *string, b []byte) {
	p.buf = append(p.buf, b...)
	p.dst[p.n], p.end[p.n] = dst, len(p.buf)
	p.n++
}

// flush sets every queued field from one string.
func (p *pendingText) flush() {
	all := string(p.buf)
	start := 0
	for i := range p.n {
		*p.dst[i] = all[start:p.end[i]]
		start = p.end[i]
	}
	p.reset()
}

// reset drops what is queued.
func (p *pendingText) reset() { p.buf, p.n = p.buf[:0], 0 }
