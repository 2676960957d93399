package blob

import (
	"strconv"

	"google.golang.org/protobuf/types/known/structpb"
)

// maxDepth bounds the nesting of attribute values.
const maxDepth = 64

// attributes reads an object as a Struct, or null as none.
func (d *decoder) attributes(field string) (*structpb.Struct, error) {
	c, err := d.s.peek()
	if err != nil {
		return nil, err
	}
	switch c {
	case 'n':
		return nil, d.s.literal("null")
	case '{':
		return d.structValue(1)
	}
	return nil, d.wrongType(field, "an object", c)
}

// structValue reads an object (the next byte is '{') as a Struct.
func (d *decoder) structValue(depth int) (*structpb.Struct, error) {
	m, err := d.s.object()
	if err != nil {
		return nil, err
	}
	out := &structpb.Struct{Fields: map[string]*structpb.Value{}}
	for {
		key, at, ok, err := m.next()
		if err != nil || !ok {
			return out, err
		}
		if _, dup := out.Fields[string(key)]; dup {
			return nil, errorAt(at, "duplicate attribute %q", key)
		}
		name := string(key)
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		out.Fields[name] = v
	}
}

// value reads any JSON value as a structpb Value, nested at most maxDepth deep.
func (d *decoder) value(depth int) (*structpb.Value, error) {
	c, err := d.s.peek()
	if err != nil {
		return nil, err
	}
	at := d.s.here()
	if (c == '{' || c == '[') && depth >= maxDepth {
		return nil, errorAt(at, "attributes nested more than %d deep", maxDepth)
	}
	switch {
	case c == '{':
		st, err := d.structValue(depth + 1)
		return structpb.NewStructValue(st), err
	case c == '[':
		e, err := d.s.array()
		if err != nil {
			return nil, err
		}
		list := &structpb.ListValue{}
		for {
			_, ok, err := e.next()
			if err != nil {
				return nil, err
			}
			if !ok {
				return structpb.NewListValue(list), nil
			}
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			list.Values = append(list.Values, v)
		}
	case c == '"':
		b, err := d.s.str()
		return structpb.NewStringValue(string(b)), err
	case c == 't':
		return structpb.NewBoolValue(true), d.s.literal("true")
	case c == 'f':
		return structpb.NewBoolValue(false), d.s.literal("false")
	case c == 'n':
		return structpb.NewNullValue(), d.s.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		b, err := d.s.number()
		if err != nil {
			return nil, err
		}
		f, err := strconv.ParseFloat(string(b), 64)
		if err != nil {
			return nil, errorAt(at, "number %s out of range", b)
		}
		return structpb.NewNumberValue(f), nil
	}
	return nil, errorAt(at, "expected a value, found %s", describe(c))
}
