package syncer

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
)

func TestFullSyncWritesEverythingOnce(t *testing.T) {
	st := newStore(t)
	users, groups := fixture()
	s := New(st, []Directory{testDir(newSource(full(users, groups, "c1")))}, Options{})
	start(t, s)

	first := firstRun(t, s)
	require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, first.LastResult, first.LastError)
	require.Equal(t, dirsyncv1.SyncState_SYNC_STATE_IDLE, first.State)
	require.EqualValues(t, 10, latest(t, st))
	require.EqualValues(t, 10, first.RecordVersion)
	require.EqualValues(t, 10, first.LastChanges)
	require.EqualValues(t, 6, first.Users)
	require.EqualValues(t, 4, first.Groups)
	require.True(t, first.LastFull)
	require.EqualValues(t, 1, first.ProviderRequests)
	require.Nil(t, first.Progress)
	require.WithinDuration(t, first.LastEnd.AsTime().Add(time.Hour), first.NextRun.AsTime(), time.Second)
	require.Equal(t, "c1", string(savedCursor(t, st).provider))

	recs := live(t, st, dir)
	require.Len(t, recs, 10)
	wantEffective := map[string][]string{
		"group/all": nil, "group/eng": {"all"}, "group/ops": {"all"}, "group/sre": {"all", "eng", "ops"},
		"user/u1": {"all", "eng"}, "user/u2": {"all", "eng", "ops", "sre"}, "user/u3": {"all", "ops"},
		"user/u4": {"all"}, "user/u5": nil, "user/u6": {"all", "eng"},
	}
	for k, want := range wantEffective {
		r := recs[k]
		require.NotNil(t, r, k)
		if u := r.GetUser(); u != nil {
			require.Equal(t, dir, u.Directory, k)
			require.Equal(t, want, u.EffectiveGroupIds, k)
		} else {
			require.Equal(t, dir, r.GetGroup().Directory, k)
			require.Equal(t, want, r.GetGroup().EffectiveGroupIds, k)
		}
	}
	require.Equal(t, []string{"eng", "ghost"}, recs["user/u6"].GetUser().GroupIds, "direct ids sorted, unique, unknown kept")
	require.Equal(t, []string{"eng", "ops"}, recs["group/sre"].GetGroup().GroupIds)

	again, v := trigger(t, s, false)
	require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, again.LastResult, again.LastError)
	require.EqualValues(t, 10, v)
	require.EqualValues(t, 10, latest(t, st), "an identical run writes nothing")
	require.Zero(t, again.LastChanges)
	require.EqualValues(t, 6, again.Users)
}

func TestChangesWriteOnlyWhatChanged(t *testing.T) {
	type fix struct {
		users  []*dirsyncv1.User
		groups []*dirsyncv1.Group
	}
	find := func(f fix, id string) (*dirsyncv1.User, *dirsyncv1.Group) {
		for _, u := range f.users {
			if u.Id == id {
				return u, nil
			}
		}
		for _, g := range f.groups {
			if g.Id == id {
				return nil, g
			}
		}
		panic(id)
	}
	tests := []struct {
		name   string
		change func(*fix)
		want   []string
	}{
		{"re-parent a group: its members' effective groups change", func(f *fix) {
			_, g := find(*f, "eng")
			g.GroupIds = []string{"ops"}
		}, []string{"group/eng", "user/u1", "user/u6"}},
		{"rename a group", func(f *fix) {
			_, g := find(*f, "ops")
			g.Name = "Ops"
		}, []string{"group/ops"}},
		{"move a user between nested groups", func(f *fix) {
			u, _ := find(*f, "u3")
			u.GroupIds = []string{"sre"}
		}, []string{"user/u3"}},
		{"change an attribute", func(f *fix) {
			u, _ := find(*f, "u1")
			u.Attributes.Fields["title"] = nil
			delete(u.Attributes.Fields, "title")
		}, []string{"user/u1"}},
		{"add a user", func(f *fix) {
			f.users = append(f.users, &dirsyncv1.User{Id: "u7", Email: "gus@example.com", GroupIds: []string{"sre"}})
		}, []string{"user/u7"}},
		{"delete a user", func(f *fix) {
			f.users = slices.DeleteFunc(f.users, func(u *dirsyncv1.User) bool { return u.Id == "u5" })
		}, []string{"-user/u5"}},
		{"delete a group: its subgroups and members change", func(f *fix) {
			f.groups = slices.DeleteFunc(f.groups, func(g *dirsyncv1.Group) bool { return g.Id == "ops" })
		}, []string{"-group/ops", "group/sre", "user/u2", "user/u3"}},
		{"reorder the result: nothing changes", func(f *fix) {
			slices.Reverse(f.users)
			slices.Reverse(f.groups)
			u, _ := find(*f, "u2")
			u.GroupIds = []string{"sre", "sre"}
		}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newStore(t)
			var f fix
			f.users, f.groups = fixture()
			src := newSource(full(f.users, f.groups, "c1"))
			s := New(st, []Directory{testDir(src)}, Options{})
			start(t, s)
			firstRun(t, s)
			v0 := latest(t, st)

			f.users, f.groups = clones(f.users), clones(f.groups)
			tt.change(&f)
			src.set(full(f.users, f.groups, "c2"))
			got, v := trigger(t, s, false)
			require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, got.LastResult, got.LastError)
			require.Equal(t, tt.want, changed(t, st, v0))
			require.EqualValues(t, len(tt.want), got.LastChanges)
			require.Equal(t, v0+uint64(len(tt.want)), v)
			require.Equal(t, "c2", string(savedCursor(t, st).provider))
		})
	}
}

func TestDelta(t *testing.T) {
	st := newStore(t)
	users, groups := fixture()
	snapshot := full(users, groups, "c1")
	var deltas []*providers.Result
	src := newSource(func(ctx context.Context, cursor []byte) (*providers.Result, error) {
		if cursor == nil {
			return snapshot(ctx, cursor)
		}
		d := deltas[0]
		deltas = deltas[1:]
		return d, nil
	})
	s := New(st, []Directory{testDir(src)}, Options{})
	start(t, s)
	firstRun(t, s)
	v0 := latest(t, st)

	// Upserts and deletions; unknown deleted ids are ignored.
	deltas = append(deltas, &providers.Result{
		Users:        []*dirsyncv1.User{{Id: "u7", Email: "gus@example.com", GroupIds: []string{"sre"}}},
		DeletedUsers: []string{"u5", "nobody"},
		Cursor:       []byte("c2"),
	})
	got, v := trigger(t, s, false)
	require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, got.LastResult, got.LastError)
	require.False(t, got.LastFull)
	require.Equal(t, []string{"-user/u5", "user/u7"}, changed(t, st, v0))
	require.EqualValues(t, 6, got.Users)
	u7 := live(t, st, dir)["user/u7"].GetUser()
	require.Equal(t, []string{"all", "eng", "ops", "sre"}, u7.EffectiveGroupIds)
	require.Equal(t, dir, u7.Directory)

	// A delta that re-parents a group rewrites members the delta does not mention.
	deltas = append(deltas, &providers.Result{
		Groups: []*dirsyncv1.Group{{Id: "eng", Name: "Engineering", GroupIds: []string{"ops"}}},
		Cursor: []byte("c3"),
	})
	_, v2 := trigger(t, s, false)
	require.Equal(t, []string{"group/eng", "user/u1", "user/u6"}, changed(t, st, v))

	// A delta that deletes a group.
	deltas = append(deltas, &providers.Result{DeletedGroups: []string{"sre"}, Cursor: []byte("c4")})
	_, _ = trigger(t, s, false)
	require.Equal(t, []string{"-group/sre", "user/u2", "user/u7"}, changed(t, st, v2))

	require.Equal(t, []string{"", "c1", "c2", "c3"}, src.seen())
	require.Equal(t, "c4", string(savedCursor(t, st).provider))
}

func TestUnchangedWritesNothing(t *testing.T) {
	st := newStore(t)
	users, groups := fixture()
	snapshot := full(users, groups, "etag-1")
	src := newSource(func(ctx context.Context, cursor []byte) (*providers.Result, error) {
		if cursor == nil {
			return snapshot(ctx, cursor)
		}
		return &providers.Result{Unchanged: true, Cursor: cursor}, nil
	})
	s := New(st, []Directory{testDir(src)}, Options{})
	start(t, s)
	firstRun(t, s)
	raw, err := st.Cursor(context.Background(), dir)
	require.NoError(t, err)

	got, v := trigger(t, s, false)
	require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, got.LastResult)
	require.EqualValues(t, 10, v)
	require.Zero(t, got.LastChanges)
	require.False(t, got.LastFull)
	require.EqualValues(t, 6, got.Users, "counts kept")
	after, err := st.Cursor(context.Background(), dir)
	require.NoError(t, err)
	require.Equal(t, raw, after)
}

func TestMassDeletionGuard(t *testing.T) {
	keep := func(cursor string, ids ...string) syncFunc {
		users, groups := fixture()
		in := func(id string) bool { return slices.Contains(ids, id) }
		users = slices.DeleteFunc(users, func(u *dirsyncv1.User) bool { return !in(u.Id) })
		groups = slices.DeleteFunc(groups, func(g *dirsyncv1.Group) bool { return !in(g.Id) })
		return full(users, groups, cursor)
	}
	all := []string{"all", "eng", "ops", "sre", "u1", "u2", "u3", "u4", "u5", "u6"}
	tests := []struct {
		name     string
		fraction float64
		keep     []string
		blocked  string // "" when the run applies
	}{
		{"20% passes the default", 0, all[:8], ""},
		{"30% is blocked by the default", 0, all[:7], "would delete 3 of 10 records (30%)"},
		{"60% is blocked", 0, []string{"all", "eng", "u1", "u4"}, "would delete 6 of 10 records (60%)"},
		{"everything is blocked", 0, nil, "would delete 10 of 10 records (100%)"},
		{"50% passes a fraction of 0.5", 0.5, all[:5], ""},
		{"a fraction of 1 never blocks", 1, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newStore(t)
			src := newSource(keep("c1", all...))
			d := testDir(src)
			d.Safety.MaxDeleteFraction = tt.fraction
			s := New(st, []Directory{d}, Options{})
			start(t, s)
			firstRun(t, s)
			v0 := latest(t, st)
			deleted := 10 - len(tt.keep)

			src.set(keep("c2", tt.keep...))
			got, v := trigger(t, s, false)
			if tt.blocked == "" {
				require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, got.LastResult, got.LastError)
				require.Equal(t, v0+uint64(deleted), v)
				return
			}
			require.Equal(t, dirsyncv1.SyncState_SYNC_STATE_BLOCKED, got.State)
			require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_BLOCKED, got.LastResult)
			require.Contains(t, got.LastError, tt.blocked)
			require.Contains(t, got.LastError, "TriggerSync with force=true")
			require.Equal(t, v0, v)
			require.Equal(t, v0, latest(t, st), "a blocked run writes nothing")
			require.Equal(t, "c1", string(savedCursor(t, st).provider), "nor the cursor")
			require.Zero(t, got.ConsecutiveFailures)
			require.EqualValues(t, 10, got.Users+got.Groups)
			require.NotNil(t, got.NextRun)
			require.False(t, got.LastForced)

			forced, v := trigger(t, s, true)
			require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, forced.LastResult, forced.LastError)
			require.Equal(t, dirsyncv1.SyncState_SYNC_STATE_IDLE, forced.State)
			require.True(t, forced.LastForced)
			require.Empty(t, forced.LastError)
			require.Equal(t, v0+uint64(deleted), v)
			require.Len(t, live(t, st, dir), len(tt.keep))
			for _, k := range changed(t, st, v0) {
				require.Equal(t, "-", k[:1], "only tombstones: %v", k)
			}

			next, _ := trigger(t, s, false)
			require.False(t, next.LastForced)
			require.Equal(t, v, latest(t, st))
		})
	}
}

func TestGroupCycleDoesNotHang(t *testing.T) {
	st := newStore(t)
	groups := []*dirsyncv1.Group{
		{Id: "a", GroupIds: []string{"b"}},
		{Id: "b", GroupIds: []string{"c"}},
		{Id: "c", GroupIds: []string{"a", "c"}},
	}
	users := []*dirsyncv1.User{{Id: "u", GroupIds: []string{"a"}}}
	s := New(st, []Directory{testDir(newSource(full(users, groups, "")))}, Options{})
	start(t, s)
	got := firstRun(t, s)
	require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, got.LastResult, got.LastError)
	recs := live(t, st, dir)
	require.Equal(t, []string{"b", "c"}, recs["group/a"].GetGroup().EffectiveGroupIds)
	require.Equal(t, []string{"a", "b"}, recs["group/c"].GetGroup().EffectiveGroupIds)
	require.Equal(t, []string{"a", "b", "c"}, recs["user/u"].GetUser().EffectiveGroupIds)
}

// TestStoredUsers: a provider's Sync can read the users stored with the cursor it is
// given, as the syncer left them (direct groups as the provider gave them, normalized).
func TestStoredUsers(t *testing.T) {
	st := newStore(t)
	users, groups := fixture()
	snapshot := full(users, groups, "c1")
	var got []*dirsyncv1.User
	src := newSource(func(ctx context.Context, cursor []byte) (*providers.Result, error) {
		read := providers.StoredUsersFrom(ctx)
		if read == nil {
			return nil, errors.New("no stored users in the context")
		}
		if cursor == nil {
			return snapshot(ctx, cursor)
		}
		var err error
		got, err = read(ctx)
		if err != nil {
			return nil, err
		}
		return &providers.Result{Unchanged: true, Cursor: cursor}, nil
	})
	s := New(st, []Directory{testDir(src)}, Options{})
	start(t, s)
	firstRun(t, s)
	trigger(t, s, false)

	want := live(t, st, dir)
	require.Len(t, got, len(users))
	for _, u := range got {
		require.True(t, proto.Equal(want["user/"+u.GetId()].GetUser(), u), u.GetId())
	}
	require.Nil(t, providers.StoredUsersFrom(context.Background()), "outside a syncer run")
}
