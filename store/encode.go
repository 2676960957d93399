package store

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

var deterministic = proto.MarshalOptions{Deterministic: true}

// Check validates b against the Batch contract; backends call it before writing.
func (b Batch) Check() error {
	if b.Directory == "" {
		return fmt.Errorf("%w: batch has no directory", ErrInvalid)
	}
	if strings.IndexByte(b.Directory, 0) >= 0 {
		return fmt.Errorf("%w: directory %q contains a NUL byte", ErrInvalid, b.Directory)
	}
	seen := make(map[key]struct{}, len(b.Records))
	for i, r := range b.Records {
		if err := checkRecord(b.Directory, r); err != nil {
			return fmt.Errorf("record %d: %w", i, err)
		}
		k := key{r.Type, r.Id}
		if _, dup := seen[k]; dup {
			return fmt.Errorf("%w: record %d: %s %q appears twice in one batch", ErrInvalid, i, r.Type, r.Id)
		}
		seen[k] = struct{}{}
	}
	return nil
}

type key struct {
	t  dirsyncv1.RecordType
	id string
}

func checkRecord(dir string, r *dirsyncv1.Record) error {
	switch {
	case r == nil:
		return fmt.Errorf("%w: nil record", ErrInvalid)
	case r.Directory != dir:
		return fmt.Errorf("%w: directory %q in a batch of %q", ErrInvalid, r.Directory, dir)
	case r.Id == "":
		return fmt.Errorf("%w: empty id", ErrInvalid)
	}
	if r.Deleted {
		if r.Type == dirsyncv1.RecordType_RECORD_TYPE_UNSPECIFIED {
			return fmt.Errorf("%w: %q has no type", ErrInvalid, r.Id)
		}
		return nil
	}
	ok := false
	switch r.Type {
	case dirsyncv1.RecordType_RECORD_TYPE_USER:
		ok = r.GetUser() != nil
	case dirsyncv1.RecordType_RECORD_TYPE_GROUP:
		ok = r.GetGroup() != nil
	case dirsyncv1.RecordType_RECORD_TYPE_ENROLLMENT:
		ok = r.GetEnrollment() != nil
	default:
		return fmt.Errorf("%w: %q has type %s", ErrInvalid, r.Id, r.Type)
	}
	if !ok {
		return fmt.Errorf("%w: %s %q has no data of its type", ErrInvalid, r.Type, r.Id)
	}
	return nil
}

// CheckLease validates the arguments of the lease methods.
func CheckLease(name, holder string, ttl time.Duration) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty lease name", ErrInvalid)
	case holder == "":
		return fmt.Errorf("%w: lease %q: empty holder", ErrInvalid, name)
	case ttl <= 0:
		return fmt.Errorf("%w: lease %q: ttl %v is not positive", ErrInvalid, name, ttl)
	}
	return nil
}

// Stamp sets r's version and modification time and returns its stored form. Backends use it
// for upserts; r is modified. A record that cannot be encoded (a string that is not UTF-8)
// is ErrInvalid.
func Stamp(r *dirsyncv1.Record, version uint64, at time.Time) (Record, error) {
	r.Version = version
	r.ModifiedAt = timestamppb.New(at)
	data, err := deterministic.Marshal(r)
	if err != nil {
		return Record{}, fmt.Errorf("%w: encode %s %q: %v", ErrInvalid, r.Type, r.Id, err)
	}
	return Record{Version: version, Type: r.Type, Directory: r.Directory, ID: r.Id, Deleted: r.Deleted, Data: data}, nil
}

// Tombstone returns the stored form of the deletion, at version, of the live record whose
// stored data is prev: the last data with deleted set.
func Tombstone(prev []byte, version uint64, at time.Time) (Record, error) {
	r := new(dirsyncv1.Record)
	if err := proto.Unmarshal(prev, r); err != nil {
		return Record{}, fmt.Errorf("decode stored record: %w", err)
	}
	r.Deleted = true
	return Stamp(r, version, at)
}

// Decode returns the API form of a stored record.
func (r Record) Decode() (*dirsyncv1.Record, error) {
	out := new(dirsyncv1.Record)
	if err := proto.Unmarshal(r.Data, out); err != nil {
		return nil, fmt.Errorf("decode %s %q: %w", r.Type, r.ID, err)
	}
	return out, nil
}

// Prepared is the encoding of an upsert without the fields the store assigns (version,
// modified_at, deleted), made outside the write transaction so that the transaction only
// splices them in with a Stamper. Prepare and the Stamper together produce exactly the
// bytes Stamp produces, without modifying the record.
type Prepared struct {
	// body holds fields 2–4 (type, directory, id), then the data and any unknown fields.
	body []byte
	// split is the end of fields 2–4, where modified_at goes.
	split int
}

var cachedSize = proto.MarshalOptions{Deterministic: true, UseCachedSize: true}

// Prepare encodes the upsert r into memory from alloc, which returns n bytes that are not
// shared (nil alloc means make). r must be valid (see Batch.Check); a string that is not
// UTF-8 is ErrInvalid. r is not modified, and must not change during the call.
func Prepare(r *dirsyncv1.Record, alloc func(n int) []byte) (Prepared, error) {
	var (
		num  protowire.Number
		data proto.Message
	)
	switch d := r.Data.(type) {
	case *dirsyncv1.Record_User:
		num, data = 10, d.User
	case *dirsyncv1.Record_Group:
		num, data = 11, d.Group
	case *dirsyncv1.Record_Enrollment:
		num, data = 12, d.Enrollment
	default:
		return Prepared{}, fmt.Errorf("%w: %s %q has no data", ErrInvalid, r.Type, r.Id)
	}
	if !utf8.ValidString(r.Directory) || !utf8.ValidString(r.Id) {
		return Prepared{}, fmt.Errorf("%w: %s %q: directory or id is not UTF-8", ErrInvalid, r.Type, r.Id)
	}
	size := deterministic.Size(data)
	unknown := r.ProtoReflect().GetUnknown()
	split := sizeVarintField(uint64(int64(r.Type))) + sizeStringField(r.Directory) + sizeStringField(r.Id)
	n := split + protowire.SizeTag(num) + protowire.SizeBytes(size) + len(unknown)
	if alloc == nil {
		alloc = func(n int) []byte { return make([]byte, n) }
	}
	b := alloc(n)[:0]
	b = appendVarintField(b, 2, uint64(int64(r.Type)))
	b = appendStringField(b, 3, r.Directory)
	b = appendStringField(b, 4, r.Id)
	b = protowire.AppendVarint(protowire.AppendTag(b, num, protowire.BytesType), uint64(size))
	b, err := cachedSize.MarshalAppend(b, data)
	if err != nil {
		return Prepared{}, fmt.Errorf("%w: encode %s %q: %v", ErrInvalid, r.Type, r.Id, err)
	}
	if len(b)+len(unknown) != n {
		return Prepared{}, fmt.Errorf("encode %s %q: %d bytes, want %d (changed while encoding?)", r.Type, r.Id, len(b)+len(unknown), n)
	}
	return Prepared{body: append(b, unknown...), split: split}, nil
}

// Stamper stamps prepared upserts with one commit time.
type Stamper struct {
	field []byte // modified_at, as field 5
}

// NewStamper returns a Stamper for changes committed at at.
func NewStamper(at time.Time) Stamper {
	ts, _ := deterministic.Marshal(timestamppb.New(at)) // cannot fail
	f := protowire.AppendTag(nil, 5, protowire.BytesType)
	return Stamper{field: protowire.AppendBytes(f, ts)}
}

// Size returns the length of the stored form of p at version.
func (s Stamper) Size(p Prepared, version uint64) int {
	return sizeVarintField(version) + len(s.field) + len(p.body)
}

// Append appends the stored data of p at version to dst: what Stamp returns as Data.
func (s Stamper) Append(dst []byte, p Prepared, version uint64) []byte {
	dst = appendVarintField(dst, 1, version)
	dst = append(dst, p.body[:p.split]...)
	dst = append(dst, s.field...)
	return append(dst, p.body[p.split:]...)
}

func sizeVarintField(v uint64) int {
	if v == 0 {
		return 0
	}
	return 1 + protowire.SizeVarint(v)
}

func appendVarintField(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	return protowire.AppendVarint(protowire.AppendTag(b, num, protowire.VarintType), v)
}

func sizeStringField(s string) int {
	if s == "" {
		return 0
	}
	return 1 + protowire.SizeBytes(len(s))
}

func appendStringField(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	return protowire.AppendString(protowire.AppendTag(b, num, protowire.BytesType), s)
}
