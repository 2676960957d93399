package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store"
)

// recordTests cover Apply, Get and the change log of single batches.
var recordTests = []test{
	{"EmptyStore", testEmptyStore},
	{"ContiguousVersionsPerBatch", testContiguousVersions},
	{"ApplyStampsRecords", testApplyStamps},
	{"GetAndNotFound", testGet},
	{"DeleteWritesTombstoneWithLastData", testTombstone},
	{"DeleteMissingKeyConsumesNoVersion", testDeleteMissing},
	{"InvalidBatchWritesNothing", testInvalidBatch},
	{"EnrollmentRecords", testEnrollment},
}

func testEmptyStore(t *testing.T, s store.Store) {
	v := versions(t, s)
	require.NotZero(t, v.ServerVersion)
	require.Equal(t, store.Versions{ServerVersion: v.ServerVersion}, v)
	require.Empty(t, changes(t, s, 0))
	recs, sv := snapshot(t, s, store.Filter{})
	require.Empty(t, recs)
	require.Equal(t, v, sv)
}

func testContiguousVersions(t *testing.T, s store.Store) {
	batches := [][]*dirsyncv1.Record{
		{user("d", "u1", "a"), user("d", "u2", "b"), group("d", "g1", "c")},
		{user("d", "u3", "d")},
		{group("d", "g2", "e"), user("d", "u1", "f"), user("d", "u4", "g"), group("d", "g1", "h"), user("d", "u5", "i")},
	}
	server := versions(t, s).ServerVersion
	var latest uint64
	var written []*dirsyncv1.Record
	for _, b := range batches {
		v := apply(t, s, "d", b...)
		latest += uint64(len(b))
		require.Equal(t, store.Versions{ServerVersion: server, Latest: latest}, v)
		require.Equal(t, v, versions(t, s))
		written = append(written, b...)
	}
	got := changes(t, s, 0)
	require.Len(t, got, len(written))
	requireContiguous(t, 0, got)
	for i, c := range got {
		requireSameRecord(t, written[i], c)
	}
}

func testApplyStamps(t *testing.T, s store.Store) {
	in := user("d", "u1", "Ada")
	before := time.Now()
	v := apply(t, s, "d", group("d", "g1", "G"), in)
	after := time.Now()
	require.Equal(t, uint64(2), v.Latest)
	r, err := s.Get(context.Background(), userType, "d", "u1")
	require.NoError(t, err)
	require.Equal(t, uint64(2), r.Version)
	require.False(t, r.Deleted)
	requireSameRecord(t, in, r)
	at := decode(t, r).ModifiedAt.AsTime()
	require.False(t, at.Before(before.Truncate(time.Second)) || at.After(after.Add(time.Second)), "modified_at %v outside the Apply call", at)
	require.True(t, proto.Equal(user("d", "u1", "Ada"), in), "Apply modified its input")
}

func testGet(t *testing.T, s store.Store) {
	ctx := context.Background()
	apply(t, s, "d", user("d", "u1", "one"), group("d", "u1", "group with a user's id"))
	apply(t, s, "d2", user("d2", "u1", "other directory"))
	for _, tc := range []struct {
		name    string
		t       dirsyncv1.RecordType
		dir, id string
		want    string
	}{
		{"user", userType, "d", "u1", "one"},
		{"same id other type", groupType, "d", "u1", "group with a user's id"},
		{"same id other directory", userType, "d2", "u1", "other directory"},
		{"missing id", userType, "d", "u2", ""},
		{"id prefix", userType, "d", "u", ""},
		{"directory prefix", userType, "", "u1", ""},
		{"missing directory", userType, "d3", "u1", ""},
		{"unknown type", dirsyncv1.RecordType(99), "d", "u1", ""},
		{"unspecified type", dirsyncv1.RecordType_RECORD_TYPE_UNSPECIFIED, "d", "u1", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := s.Get(ctx, tc.t, tc.dir, tc.id)
			if tc.want == "" {
				require.ErrorIs(t, err, store.ErrNotFound)
				return
			}
			require.NoError(t, err)
			d := decode(t, r)
			require.Equal(t, tc.want, d.GetUser().GetDisplayName()+d.GetGroup().GetName())
			require.Equal(t, []any{tc.t, tc.dir, tc.id}, []any{r.Type, r.Directory, r.ID})
		})
	}
	// Returned data belongs to the caller.
	r, err := s.Get(ctx, userType, "d", "u1")
	require.NoError(t, err)
	clear(r.Data)
	again, err := s.Get(ctx, userType, "d", "u1")
	require.NoError(t, err)
	require.Equal(t, "one", decode(t, again).GetUser().GetDisplayName())
}

func testTombstone(t *testing.T, s store.Store) {
	ctx := context.Background()
	apply(t, s, "d", user("d", "u1", "first"), user("d", "u2", "keep"))
	last := user("d", "u1", "last")
	apply(t, s, "d", last)
	v := apply(t, s, "d", del(userType, "d", "u1"))
	require.Equal(t, uint64(4), v.Latest)

	_, err := s.Get(ctx, userType, "d", "u1")
	require.ErrorIs(t, err, store.ErrNotFound)
	recs, _ := snapshot(t, s, store.Filter{})
	require.Len(t, recs, 1)
	require.Equal(t, "u2", recs[0].ID)

	got := changes(t, s, 3)
	require.Len(t, got, 1)
	tomb := got[0]
	require.Equal(t, uint64(4), tomb.Version)
	require.True(t, tomb.Deleted)
	requireSameRecord(t, last, tomb)
	require.True(t, decode(t, tomb).Deleted)

	// The key can live again after its deletion.
	apply(t, s, "d", user("d", "u1", "again"))
	r, err := s.Get(ctx, userType, "d", "u1")
	require.NoError(t, err)
	require.Equal(t, uint64(5), r.Version)
	require.False(t, r.Deleted)
}

func testDeleteMissing(t *testing.T, s store.Store) {
	apply(t, s, "d", user("d", "u1", "a"))
	// Deleting twice, a missing id, or the right id under the wrong type is a no-op.
	v := apply(t, s, "d", del(groupType, "d", "u1"), del(userType, "d", "nobody"), del(userType, "d", "u1"))
	require.Equal(t, uint64(2), v.Latest)
	v = apply(t, s, "d", del(userType, "d", "u1"), user("d", "u2", "b"))
	require.Equal(t, uint64(3), v.Latest)
	v = apply(t, s, "d", del(userType, "d", "u1"))
	require.Equal(t, uint64(3), v.Latest)
	v = apply(t, s, "d")
	require.Equal(t, uint64(3), v.Latest)

	got := changes(t, s, 0)
	requireContiguous(t, 0, got)
	require.Equal(t, []bool{false, true, false}, []bool{got[0].Deleted, got[1].Deleted, got[2].Deleted})
	require.Equal(t, "u2", got[2].ID)
}

func testInvalidBatch(t *testing.T, s store.Store) {
	ctx := context.Background()
	_, err := s.Apply(ctx, store.Batch{Directory: "d", Records: []*dirsyncv1.Record{user("d", "u0", "ok")}, Cursor: []byte("c0"), SetCursor: true})
	require.NoError(t, err)
	before := versions(t, s)

	noData := user("d", "u2", "x")
	noData.Data = nil
	wrongData := group("d", "u2", "x")
	wrongData.Type = userType
	noType := user("d", "u2", "x")
	noType.Type = dirsyncv1.RecordType_RECORD_TYPE_UNSPECIFIED
	badUTF8 := user("d", "u2", "\xff\xfe")
	for _, tc := range []struct {
		name string
		dir  string
		bad  *dirsyncv1.Record
	}{
		{"no directory", "", user("", "u2", "x")},
		{"record of another directory", "d", user("e", "u2", "x")},
		{"nil record", "d", nil},
		{"empty id", "d", user("d", "", "x")},
		{"upsert without type", "d", noType},
		{"delete without type", "d", del(dirsyncv1.RecordType_RECORD_TYPE_UNSPECIFIED, "d", "u0")},
		{"upsert without data", "d", noData},
		{"data of another type", "d", wrongData},
		{"key twice", "d", user("d", "u1", "again")},
		{"NUL in directory", "d\x00e", user("d\x00e", "u2", "x")},
		{"string not UTF-8", "d", badUTF8},
		{"unknown type", "d", &dirsyncv1.Record{Type: 99, Directory: "d", Id: "u2", Data: noType.Data}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			good := user(tc.dir, "u1", "valid record before the bad one")
			_, err := s.Apply(ctx, store.Batch{
				Directory: tc.dir, Records: []*dirsyncv1.Record{good, del(userType, tc.dir, "u0"), tc.bad},
				Cursor: []byte("c1"), SetCursor: true,
			})
			require.ErrorIs(t, err, store.ErrInvalid)
			require.Equal(t, before, versions(t, s))
			_, err = s.Get(ctx, userType, tc.dir, "u1")
			require.ErrorIs(t, err, store.ErrNotFound)
			_, err = s.Get(ctx, userType, "d", "u0")
			require.NoError(t, err, "deletion in a rejected batch")
			cur, err := s.Cursor(ctx, "d")
			require.NoError(t, err)
			require.Equal(t, []byte("c0"), cur)
			require.Len(t, changes(t, s, 0), 1)
		})
	}
}
