package store

import (
	"fmt"
	"time"

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
	default:
		return fmt.Errorf("%w: %q has type %s", ErrInvalid, r.Id, r.Type)
	}
	if !ok {
		return fmt.Errorf("%w: %s %q has no data of its type", ErrInvalid, r.Type, r.Id)
	}
	return nil
}

// Stamp sets r's version and modification time and returns its stored form. Backends use it
// for upserts; r is modified.
func Stamp(r *dirsyncv1.Record, version uint64, at time.Time) (Record, error) {
	r.Version = version
	r.ModifiedAt = timestamppb.New(at)
	data, err := deterministic.Marshal(r)
	if err != nil {
		return Record{}, fmt.Errorf("encode %s %q: %w", r.Type, r.Id, err)
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
