package pomerium

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/dirsync/dirsync/gen/databroker"
	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// The databroker record types Pomerium reads directory data from.
const (
	TypeUser  = "pomerium.io/DirectoryUser"
	TypeGroup = "pomerium.io/DirectoryGroup"
)

// structTypeURL is the type URL of the google.protobuf.Struct every record's data holds.
const structTypeURL = "type.googleapis.com/google.protobuf.Struct"

// brokerType returns the databroker type of a dirsync record type, or "" for types the sink
// does not push.
func brokerType(t dirsyncv1.RecordType) string {
	switch t {
	case dirsyncv1.RecordType_RECORD_TYPE_USER:
		return TypeUser
	case dirsyncv1.RecordType_RECORD_TYPE_GROUP:
		return TypeGroup
	}
	return ""
}

// entry is one record as the databroker should hold it: its type, id and the deterministic
// encoding of its data Struct.
type entry struct {
	typ  string
	id   string
	data []byte
}

// canonical re-encodes a databroker record's data (a google.protobuf.Struct in an Any) the
// way decodeEntry encodes it, keeping only the fields the sink writes, so that data encoded
// by another writer (map entries in another order, extra fields) compares equal when it
// means the same. It reads the encoding directly, without decoding the Struct. It fails for
// data that is not a Struct or not a valid encoding; fields of other kinds read as empty.
func canonical(typ string, data *anypb.Any) ([]byte, error) {
	if data.GetTypeUrl() != structTypeURL {
		return nil, fmt.Errorf("data of type %q, want %q", data.GetTypeUrl(), structTypeURL)
	}
	var id, name, email, displayName string
	var groups []string
	err := scan(data.GetValue(), func(n protowire.Number, entry []byte) error {
		if n != structFields {
			return nil
		}
		var k string
		var val []byte
		if err := scan(entry, func(n protowire.Number, v []byte) error {
			switch n {
			case mapKey:
				k = string(v)
			case mapValue:
				val = v
			}
			return nil
		}); err != nil {
			return err
		}
		var err error
		switch k {
		case "id":
			id, err = stringValue(val)
		case "name":
			name, err = stringValue(val)
		case "email":
			email, err = stringValue(val)
		case "display_name":
			displayName, err = stringValue(val)
		case "group_ids":
			groups = groups[:0]
			err = scan(val, func(n protowire.Number, list []byte) error {
				if n != valueList {
					return nil
				}
				return scan(list, func(n protowire.Number, item []byte) error {
					if n != listValueValues {
						return nil
					}
					s, err := stringValue(item)
					groups = append(groups, s)
					return err
				})
			})
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	switch typ {
	case TypeUser:
		return encodeFields(field{"display_name", displayName, nil}, field{"email", email, nil},
			field{"group_ids", "", nonNil(groups)}, field{"id", id, nil}), nil
	case TypeGroup:
		return encodeFields(field{"email", email, nil}, field{"id", id, nil}, field{"name", name, nil}), nil
	}
	return nil, fmt.Errorf("record type %q is not a directory type", typ)
}

// stringValue returns the string of an encoded google.protobuf.Value; "" for other kinds.
func stringValue(v []byte) (string, error) {
	var s string
	err := scan(v, func(n protowire.Number, b []byte) error {
		if n == valueString {
			s = string(b)
		}
		return nil
	})
	return s, err
}

// record returns the databroker record of e; deletedAt, when not zero, makes it a deletion.
func (e entry) record(deletedAt time.Time) *databroker.Record {
	r := &databroker.Record{Type: e.typ, Id: e.id, Data: &anypb.Any{TypeUrl: structTypeURL, Value: e.data}}
	if !deletedAt.IsZero() {
		r.DeletedAt = timestamppb.New(deletedAt)
	}
	return r
}

// field is one Struct field: a string, or (list != nil) a list of strings.
type field struct {
	key  string
	str  string
	list []string
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Field numbers of google.protobuf.Struct, its map entries, Value and ListValue.
const (
	structFields    = 1 // Struct.fields (map<string, Value>)
	mapKey          = 1
	mapValue        = 2
	valueString     = 3 // Value.string_value
	valueList       = 6 // Value.list_value
	listValueValues = 1 // ListValue.values
)

// encodeFields returns the encoding of a google.protobuf.Struct holding fields, which must
// be sorted by key: byte for byte what deterministic proto marshaling of the same Struct
// produces, without building it (the sink converts millions of records).
func encodeFields(fields ...field) []byte {
	var b []byte
	for _, f := range fields {
		var v []byte
		if f.list != nil {
			var l []byte
			for _, s := range f.list {
				l = protowire.AppendTag(l, listValueValues, protowire.BytesType)
				l = protowire.AppendVarint(l, uint64(protowire.SizeTag(valueString)+protowire.SizeBytes(len(s))))
				l = protowire.AppendTag(l, valueString, protowire.BytesType)
				l = protowire.AppendString(l, s)
			}
			v = protowire.AppendTag(v, valueList, protowire.BytesType)
			v = protowire.AppendBytes(v, l)
		} else {
			v = protowire.AppendTag(v, valueString, protowire.BytesType)
			v = protowire.AppendString(v, f.str)
		}
		n := protowire.SizeTag(mapKey) + protowire.SizeBytes(len(f.key)) + protowire.SizeTag(mapValue) + protowire.SizeBytes(len(v))
		b = protowire.AppendTag(b, structFields, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(n))
		b = protowire.AppendTag(b, mapKey, protowire.BytesType)
		b = protowire.AppendString(b, f.key)
		b = protowire.AppendTag(b, mapValue, protowire.BytesType)
		b = protowire.AppendBytes(b, v)
	}
	return b
}
