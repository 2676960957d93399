package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store"
)

// snapshotTests cover reads of one store at rest: Snapshot and Changes.
var snapshotTests = []test{
	{"SnapshotFilterAndOrder", testSnapshotFilter},
	{"SnapshotStopsOnError", testSnapshotError},
	{"ChangesAfterVersion", testChangesAfter},
}

func testSnapshotFilter(t *testing.T, s store.Store) {
	// Directories that are prefixes of each other, and ids that sort before and after each
	// other only bytewise, catch backends whose keys do not separate the parts.
	written := map[string][]*dirsyncv1.Record{
		"a":  {user("a", "u2", ""), user("a", "u10", ""), user("a", "\x00z", ""), group("a", "g1", ""), user("a", "U1", "")},
		"ab": {user("ab", "u1", ""), group("ab", "g1", ""), group("ab", "a", "")},
		"b":  {group("b", "g0", ""), user("b", "u0", ""), user("b", "é", "")},
		"a-": {user("a-", "u1", "")},
	}
	for _, dir := range []string{"b", "a", "ab", "a-"} {
		apply(t, s, dir, written[dir]...)
	}
	apply(t, s, "a", del(userType, "a", "u2"))
	var all []store.Record
	for _, r := range replay(changes(t, s, 0), versions(t, s).Latest) {
		all = append(all, r)
	}
	require.Len(t, all, 11)
	for _, tc := range []struct {
		name string
		f    store.Filter
	}{
		{"everything", store.Filter{}},
		{"users", store.Filter{Types: []dirsyncv1.RecordType{userType}}},
		{"groups", store.Filter{Types: []dirsyncv1.RecordType{groupType}}},
		{"both types unsorted", store.Filter{Types: []dirsyncv1.RecordType{groupType, userType, groupType}}},
		{"directory a not ab", store.Filter{Directories: []string{"a"}}},
		{"directories unsorted with duplicates", store.Filter{Directories: []string{"b", "a", "b"}}},
		{"groups of ab", store.Filter{Types: []dirsyncv1.RecordType{groupType}, Directories: []string{"ab"}}},
		{"missing directory", store.Filter{Directories: []string{"c"}}},
		{"unknown type", store.Filter{Types: []dirsyncv1.RecordType{99}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want []store.Record
			for _, r := range all {
				if tc.f.Match(r.Type, r.Directory) {
					want = append(want, r)
				}
			}
			sortRecords(want)
			got, v := snapshot(t, s, tc.f)
			require.Equal(t, versions(t, s), v)
			require.Len(t, got, len(want))
			for i := range want {
				require.Equal(t, key(want[i]), key(got[i]), "record %d", i)
				require.Equal(t, want[i].Version, got[i].Version)
				require.False(t, got[i].Deleted)
				require.Equal(t, want[i].Data, got[i].Data)
			}
			// DataOnly selects the same records, in the same order, with the same data.
			dataOnly := tc.f
			dataOnly.DataOnly = true
			got, _ = snapshot(t, s, dataOnly)
			require.Len(t, got, len(want))
			for i := range want {
				require.Equal(t, want[i].Version, got[i].Version, "record %d", i)
				require.Equal(t, want[i].Data, got[i].Data)
			}
		})
	}
}

func testSnapshotError(t *testing.T, s store.Store) {
	apply(t, s, "d", user("d", "u1", ""), user("d", "u2", ""), user("d", "u3", ""))
	stop := errors.New("stop")
	calls := 0
	_, err := s.Snapshot(context.Background(), store.Filter{}, func(store.Record) error {
		calls++
		if calls == 2 {
			return stop
		}
		return nil
	})
	require.ErrorIs(t, err, stop)
	require.Equal(t, 2, calls)
}

func testChangesAfter(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := []*dirsyncv1.Record{user("d", "u1", "a"), group("d", "g1", "b"), user("d", "u2", "c")}
	apply(t, s, "d", in...)
	apply(t, s, "e", user("e", "u1", "d"))
	apply(t, s, "d", del(userType, "d", "u1"))
	latest := versions(t, s).Latest
	require.Equal(t, uint64(5), latest)

	for _, tc := range []struct {
		after uint64
		limit int
		want  []uint64
	}{
		{0, 0, []uint64{1, 2, 3, 4, 5}},
		{0, 2, []uint64{1, 2}},
		{2, 2, []uint64{3, 4}},
		{3, -1, []uint64{4, 5}},
		{4, 10, []uint64{5}},
		{5, 10, nil},
		{9, 10, nil},
	} {
		got, err := s.Changes(ctx, tc.after, tc.limit)
		require.NoError(t, err)
		var vs []uint64
		for _, c := range got {
			vs = append(vs, c.Version)
		}
		require.Equal(t, tc.want, vs, "Changes(%d, %d)", tc.after, tc.limit)
	}

	got := changes(t, s, 0)
	for i, r := range in {
		requireSameRecord(t, r, got[i])
	}
	require.Equal(t, []any{"e", "u1", false}, []any{got[3].Directory, got[3].ID, got[3].Deleted})
	require.Equal(t, []any{"d", "u1", true}, []any{got[4].Directory, got[4].ID, got[4].Deleted})
	requireSameRecord(t, in[0], got[4])

	// Returned data belongs to the caller.
	clear(got[0].Data)
	requireSameRecord(t, in[0], changes(t, s, 0)[0])
}
