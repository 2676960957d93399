package okta

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/dirsync/dirsync/providers"
)

// membership is Okta's direct group membership as one cursor left it. A delta Result's
// users replace whole stored records, so every user a delta upserts needs its complete
// group list; Okta has no cheap way to list one user's groups for many users, and a
// changed group's member listing says who is in it now, not who left. The index answers
// both from memory: a delta diffs each re-read group against it, and takes each upserted
// user's groups from it, at no extra request. It is never modified: a delta derives a new
// one (sharing the unchanged member lists).
type membership struct {
	gen string
	// members holds each group's member user ids, sorted (every status: Okta keeps
	// deactivated users in their groups).
	members map[string][]string
	// read holds each group's lastMembershipUpdated when its members were read: a delta
	// re-reads a group's members only when Okta reports a different time.
	read map[string]time.Time
	// known, when not nil, holds the users whose groups the index holds (an index rebuilt
	// from the store, which has no deactivated users); nil means every user Okta lists.
	known map[string]bool
}

// derive returns a copy of m under a new name, for a delta to change.
func (m *membership) derive() *membership {
	return &membership{gen: newGen(), members: maps.Clone(m.members), read: maps.Clone(m.read), known: maps.Clone(m.known)}
}

// knows reports whether the index holds the groups of user id.
func (m *membership) knows(id string) bool { return m.known == nil || m.known[id] }

// learn records that user id, whom m did not know, is a member of groups (looked up by
// user). m must be derived.
func (m *membership) learn(id string, groups []string) {
	for _, g := range groups {
		ids := m.members[g]
		if i, found := slices.BinarySearch(ids, id); !found {
			m.members[g] = slices.Insert(slices.Clone(ids), i, id) // lists are shared with base
		}
	}
	m.known[id] = true
}

// indexFromStore rebuilds the membership index of cursor gen from the users the store
// holds with that cursor: the first run since a start, or since another replica synced,
// goes on incrementally instead of reading the whole org. The index knows only the stored
// users' groups (Okta also lists deactivated users as members; the store has none), so a
// delta looks up the groups of any other user it upserts; and it has no
// lastMembershipUpdated times, so the first delta re-reads the members of every group Okta
// lists as changed.
func indexFromStore(ctx context.Context, gen string) (*membership, error) {
	read := providers.StoredUsersFrom(ctx)
	if read == nil {
		return nil, errors.New("the membership index of this cursor is not in memory and no stored users were given to rebuild it")
	}
	users, err := read(ctx)
	if err != nil {
		return nil, fmt.Errorf("rebuild the membership index from the stored users: %w", err)
	}
	m := &membership{gen: gen, members: map[string][]string{}, read: map[string]time.Time{}, known: make(map[string]bool, len(users))}
	for _, u := range users {
		m.known[u.GetId()] = true
		for _, g := range u.GetGroupIds() {
			m.members[g] = append(m.members[g], u.GetId())
		}
	}
	for _, ids := range m.members {
		slices.Sort(ids)
	}
	return m, nil
}

// groupsOf returns the groups of each of users, in one pass over the index.
func (m *membership) groupsOf(users map[string]bool) map[string][]string {
	out := make(map[string][]string, len(users))
	for g, ids := range m.members {
		for _, id := range ids {
			if users[id] {
				out[id] = append(out[id], g)
			}
		}
	}
	return out
}

// memory holds the index of the last cursor the syncer confirmed (committed) and that of
// the last result, which the syncer may or may not have stored (pending). The next Sync's
// cursor says which one the store holds.
type memory struct {
	mu                 sync.Mutex
	committed, pending *membership
}

// at returns the index named gen, or nil when this process does not hold it. Asking for
// the pending index confirms it; asking for the committed one drops the pending one (the
// syncer did not store that result).
func (m *memory) at(gen string) *membership {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case m.pending != nil && m.pending.gen == gen:
		m.committed, m.pending = m.pending, nil
	case m.committed != nil && m.committed.gen == gen:
		m.pending = nil
	default:
		return nil
	}
	return m.committed
}

// propose records the index of a result handed to the syncer.
func (m *memory) propose(x *membership) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pending = x
}

// adopt makes x, rebuilt for the stored cursor, the committed index.
func (m *memory) adopt(x *membership) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.committed, m.pending = x, nil
}

// forget drops both indexes, as a restart does.
func (m *memory) forget() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.committed, m.pending = nil, nil
}
