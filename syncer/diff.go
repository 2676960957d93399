package syncer

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store"
)

const (
	userType  = dirsyncv1.RecordType_RECORD_TYPE_USER
	groupType = dirsyncv1.RecordType_RECORD_TYPE_GROUP
)

// syncedFilter selects the records the syncer owns in dir: its users and groups.
func syncedFilter(dir string) store.Filter {
	return store.Filter{Types: []dirsyncv1.RecordType{userType, groupType}, Directories: []string{dir}}
}

type recKey struct {
	t  dirsyncv1.RecordType
	id string
}

// stored is a directory's live users and groups as the store holds them: by key, the
// deterministic encoding of each User or Group (the data field of the stored Record,
// which the store encodes deterministically).
type stored struct {
	data          map[recKey][]byte
	users, groups int
}

func (c stored) len() int { return c.users + c.groups }

// loadStored reads dir's live users and groups from one snapshot, without decoding them.
// sizeHint is the number of records expected.
func loadStored(ctx context.Context, st store.Store, dir string, sizeHint int) (stored, error) {
	c := stored{data: make(map[recKey][]byte, sizeHint)}
	var arena []byte // the encodings share large blocks instead of one allocation each
	_, err := st.Snapshot(ctx, syncedFilter(dir), func(r store.Record) error {
		b, err := payload(r.Data)
		if err != nil {
			return fmt.Errorf("stored %s %q: %w", r.Type, r.ID, err)
		}
		if cap(arena)-len(arena) < len(b) {
			arena = make([]byte, 0, max(1<<20, len(b)))
		}
		start := len(arena)
		arena = append(arena, b...)
		c.data[recKey{r.Type, r.ID}] = arena[start:len(arena):len(arena)]
		if r.Type == userType {
			c.users++
		} else {
			c.groups++
		}
		return nil
	})
	if err != nil {
		return stored{}, fmt.Errorf("read stored records: %w", err)
	}
	return c, nil
}

// payload returns the bytes of the user (field 10) or group (field 11) inside an encoded
// Record.
func payload(rec []byte) ([]byte, error) {
	for len(rec) > 0 {
		num, typ, n := protowire.ConsumeTag(rec)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		rec = rec[n:]
		if (num == 10 || num == 11) && typ == protowire.BytesType {
			v, m := protowire.ConsumeBytes(rec)
			if m < 0 {
				return nil, protowire.ParseError(m)
			}
			return v, nil
		}
		m := protowire.ConsumeFieldValue(num, typ, rec)
		if m < 0 {
			return nil, protowire.ParseError(m)
		}
		rec = rec[m:]
	}
	return nil, errors.New("record holds no user or group")
}

// changes is what a run writes.
type changes struct {
	records          []*dirsyncv1.Record // sorted by (type, id)
	upserts, deletes int
}

var deterministic = proto.MarshalOptions{Deterministic: true}

// diff returns the records to write so that dir holds want instead of cur: upserts of new
// records and of records whose deterministic encoding differs, and deletions of stored
// records want lacks.
func diff(dir string, want state, cur stored) (changes, error) {
	type item struct {
		t  dirsyncv1.RecordType
		id string
		m  proto.Message
	}
	items := make([]item, 0, len(want.users)+len(want.groups))
	for id, u := range want.users {
		items = append(items, item{userType, id, u})
	}
	for id, g := range want.groups {
		items = append(items, item{groupType, id, g})
	}
	changed := make([]bool, len(items))
	err := parallel(len(items), func(lo, hi int) error {
		var buf []byte // reused: encodings are only compared
		for i := lo; i < hi; i++ {
			it := items[i]
			b, err := deterministic.MarshalAppend(buf[:0], it.m)
			if err != nil {
				return fmt.Errorf("encode %s %q: %w", it.t, it.id, err)
			}
			buf = b
			old, ok := cur.data[recKey{it.t, it.id}]
			changed[i] = !ok || !bytes.Equal(old, b)
		}
		return nil
	})
	if err != nil {
		return changes{}, err
	}
	var ch changes
	for i, it := range items {
		if !changed[i] {
			continue
		}
		rec := &dirsyncv1.Record{Type: it.t, Directory: dir, Id: it.id}
		if u, ok := it.m.(*dirsyncv1.User); ok {
			rec.Data = &dirsyncv1.Record_User{User: u}
		} else {
			rec.Data = &dirsyncv1.Record_Group{Group: it.m.(*dirsyncv1.Group)}
		}
		ch.records = append(ch.records, rec)
		ch.upserts++
	}
	for k := range cur.data {
		var keep bool
		if k.t == userType {
			_, keep = want.users[k.id]
		} else {
			_, keep = want.groups[k.id]
		}
		if !keep {
			ch.records = append(ch.records, &dirsyncv1.Record{Type: k.t, Directory: dir, Id: k.id, Deleted: true})
			ch.deletes++
		}
	}
	slices.SortFunc(ch.records, func(a, b *dirsyncv1.Record) int {
		return cmp.Or(cmp.Compare(a.Type, b.Type), cmp.Compare(a.Id, b.Id))
	})
	return ch, nil
}
