package okta

import (
	"maps"
	"sync"
	"time"
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
}

// derive returns a copy of m under a new name, for a delta to change.
func (m *membership) derive() *membership {
	return &membership{gen: newGen(), members: maps.Clone(m.members), read: maps.Clone(m.read)}
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

// forget drops both indexes, as a restart does.
func (m *memory) forget() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.committed, m.pending = nil, nil
}
