package storetest

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store"
)

const (
	userType  = dirsyncv1.RecordType_RECORD_TYPE_USER
	groupType = dirsyncv1.RecordType_RECORD_TYPE_GROUP
)

// user returns an upsert of a user named name.
func user(dir, id, name string) *dirsyncv1.Record {
	return &dirsyncv1.Record{Type: userType, Directory: dir, Id: id, Data: &dirsyncv1.Record_User{User: &dirsyncv1.User{
		Id: id, Directory: dir, DisplayName: name, Email: id + "@example.com",
		State: dirsyncv1.UserState_USER_STATE_ACTIVE, GroupIds: []string{"g1", "g2"},
	}}}
}

// group returns an upsert of a group named name.
func group(dir, id, name string) *dirsyncv1.Record {
	return &dirsyncv1.Record{Type: groupType, Directory: dir, Id: id, Data: &dirsyncv1.Record_Group{Group: &dirsyncv1.Group{
		Id: id, Directory: dir, Name: name,
	}}}
}

// del returns a deletion of the record with that key.
func del(t dirsyncv1.RecordType, dir, id string) *dirsyncv1.Record {
	return &dirsyncv1.Record{Type: t, Directory: dir, Id: id, Deleted: true}
}

// apply writes recs as one batch of dir and returns the versions after it.
func apply(t *testing.T, s store.Store, dir string, recs ...*dirsyncv1.Record) store.Versions {
	t.Helper()
	v, err := s.Apply(context.Background(), store.Batch{Directory: dir, Records: recs})
	require.NoError(t, err)
	return v
}

func versions(t *testing.T, s store.Store) store.Versions {
	t.Helper()
	v, err := s.Versions(context.Background())
	require.NoError(t, err)
	return v
}

// changes returns every change after after.
func changes(t *testing.T, s store.Store, after uint64) []store.Record {
	t.Helper()
	got, err := s.Changes(context.Background(), after, 0)
	require.NoError(t, err)
	return got
}

// snapshot returns the records of a snapshot, their data copied, and its versions.
func snapshot(t *testing.T, s store.Store, f store.Filter) ([]store.Record, store.Versions) {
	t.Helper()
	var got []store.Record
	v, err := s.Snapshot(context.Background(), f, func(r store.Record) error {
		r.Data = bytes.Clone(r.Data)
		got = append(got, r)
		return nil
	})
	require.NoError(t, err)
	return got, v
}

func decode(t *testing.T, r store.Record) *dirsyncv1.Record {
	t.Helper()
	out, err := r.Decode()
	require.NoError(t, err)
	return out
}

// requireSameRecord checks that stored r is want as written at r.Version: key, version
// and deleted flag beside the data agree with the data, and the data is want plus the
// fields the store assigns.
func requireSameRecord(t *testing.T, want *dirsyncv1.Record, r store.Record) {
	t.Helper()
	got := decode(t, r)
	require.Equal(t, r.Version, got.Version, "version beside the data")
	require.Equal(t, []any{got.Type, got.Directory, got.Id, got.Deleted}, []any{r.Type, r.Directory, r.ID, r.Deleted}, "key beside the data")
	require.NotNil(t, got.ModifiedAt, "modified_at")
	want = proto.Clone(want).(*dirsyncv1.Record)
	want.Version, want.ModifiedAt, want.Deleted = got.Version, got.ModifiedAt, r.Deleted
	require.True(t, proto.Equal(want, got), "stored %v, want %v", got, want)
}

// requireContiguous checks that recs have versions from+1, from+2, … in order.
func requireContiguous(t *testing.T, from uint64, recs []store.Record) {
	t.Helper()
	for i, r := range recs {
		require.Equal(t, from+uint64(i)+1, r.Version, "change %d of %d after %d", i, len(recs), from)
	}
}

// key names a record as a string, for maps and messages.
func key(r store.Record) string { return fmt.Sprintf("%d/%s/%s", r.Type, r.Directory, r.ID) }

// sortRecords sorts recs in snapshot order: (type, directory, id).
func sortRecords(recs []store.Record) {
	slices.SortFunc(recs, func(a, b store.Record) int {
		return cmp.Or(cmp.Compare(a.Type, b.Type), cmp.Compare(a.Directory, b.Directory), cmp.Compare(a.ID, b.ID))
	})
}

// replay returns the live records after applying changes with versions up to v, by key.
func replay(changes []store.Record, v uint64) map[string]store.Record {
	live := make(map[string]store.Record)
	for _, c := range changes {
		if c.Version > v {
			break
		}
		if c.Deleted {
			delete(live, key(c))
		} else {
			live[key(c)] = c
		}
	}
	return live
}

func records(rs ...*dirsyncv1.Record) []*dirsyncv1.Record { return rs }
