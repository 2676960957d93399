package syncer

import (
	"fmt"
	"maps"
	"slices"

	"google.golang.org/protobuf/proto"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
)

// state is a directory's users and groups by id: what a run wants stored.
type state struct {
	users  map[string]*dirsyncv1.User
	groups map[string]*dirsyncv1.Group
}

// fullState is the state a full result describes: exactly its users and groups.
func fullState(res *providers.Result) (state, error) {
	s := state{users: make(map[string]*dirsyncv1.User, len(res.Users)),
		groups: make(map[string]*dirsyncv1.Group, len(res.Groups))}
	return s, s.upsert(res, false)
}

// deltaState is the state after applying the delta res to the stored records: the
// deletions first, then the upserts (so a record both deleted and upserted exists).
func deltaState(cur stored, res *providers.Result) (state, error) {
	s, err := cur.decode()
	if err != nil {
		return state{}, err
	}
	for _, id := range res.DeletedUsers {
		delete(s.users, id)
	}
	for _, id := range res.DeletedGroups {
		delete(s.groups, id)
	}
	return s, s.upsert(res, true)
}

// upsert adds res's users and groups to s, rejecting nil entries, empty ids and an id
// given twice. overlay is true when s already holds records (a delta), so that a repeat
// must be told from a replacement.
func (s state) upsert(res *providers.Result, overlay bool) error {
	var seen map[string]bool
	if overlay {
		seen = make(map[string]bool, len(res.Users))
	}
	repeated := func(id string, inState bool) bool {
		if !overlay {
			return inState
		}
		r := seen[id]
		seen[id] = true
		return r
	}
	for i, u := range res.Users {
		switch {
		case u == nil:
			return fmt.Errorf("provider returned no user at index %d", i)
		case u.Id == "":
			return fmt.Errorf("provider returned a user without id at index %d", i)
		}
		if _, in := s.users[u.Id]; repeated(u.Id, in) {
			return fmt.Errorf("provider returned user %q twice", u.Id)
		}
		s.users[u.Id] = u
	}
	clear(seen)
	for i, g := range res.Groups {
		switch {
		case g == nil:
			return fmt.Errorf("provider returned no group at index %d", i)
		case g.Id == "":
			return fmt.Errorf("provider returned a group without id at index %d", i)
		}
		if _, in := s.groups[g.Id]; repeated(g.Id, in) {
			return fmt.Errorf("provider returned group %q twice", g.Id)
		}
		s.groups[g.Id] = g
	}
	return nil
}

// normalize sets what the syncer owns on every record of s: the directory, direct group
// ids sorted and unique (unknown ids kept), and the effective group ids.
func (s state) normalize(dir string) {
	users := slices.Collect(maps.Values(s.users))
	_ = parallel(len(users), func(lo, hi int) error {
		for _, u := range users[lo:hi] {
			u.Directory = dir
			u.GroupIds = sortedSet(u.GroupIds)
		}
		return nil
	})
	for _, g := range s.groups {
		g.Directory = dir
		g.GroupIds = sortedSet(g.GroupIds)
	}
	setEffective(s, users)
}

func sortedSet(ids []string) []string {
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// decode returns the stored records as a state.
func (c stored) decode() (state, error) {
	s := state{users: make(map[string]*dirsyncv1.User, c.users),
		groups: make(map[string]*dirsyncv1.Group, c.groups)}
	for k, b := range c.data {
		var m proto.Message
		if k.t == dirsyncv1.RecordType_RECORD_TYPE_USER {
			u := new(dirsyncv1.User)
			s.users[k.id], m = u, u
		} else {
			g := new(dirsyncv1.Group)
			s.groups[k.id], m = g, g
		}
		if err := proto.Unmarshal(b, m); err != nil {
			return state{}, fmt.Errorf("decode stored %s %q: %w", k.t, k.id, err)
		}
	}
	return s, nil
}
