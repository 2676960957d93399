package client

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// mirror rebuilds a copy of the records from OnChange calls alone, the way a consumer that
// feeds another system would, and checks the callback contract as it goes: a Reset, then
// snapshot records at the Reset's version, then Sync changes in strictly rising versions,
// with no version missing when contiguous is set (no filters: every version of the store's
// change log is a change the client must see).
type mirror struct {
	contiguous bool

	mu      sync.Mutex
	records map[string]*dirsyncv1.Record
	version uint64
	resets  int
	changes int // Sync changes seen
	err     error
	inSnap  bool
}

func newMirror(contiguous bool) *mirror {
	return &mirror{contiguous: contiguous, records: map[string]*dirsyncv1.Record{}}
}

// on is the OnChange callback.
func (m *mirror) on(ch Change) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return
	}
	switch {
	case ch.Reset:
		if ch.Record != nil || ch.Snapshot {
			m.err = fmt.Errorf("reset with a record: %+v", ch)
		}
		m.records, m.version, m.inSnap = map[string]*dirsyncv1.Record{}, ch.Version, true
		m.resets++
	case ch.Snapshot:
		switch {
		case !m.inSnap:
			m.err = fmt.Errorf("snapshot record %s after a Sync change", keyOf(ch.Record))
		case ch.Version != m.version:
			m.err = fmt.Errorf("snapshot record at version %d, the reset was at %d", ch.Version, m.version)
		case ch.Record.GetDeleted():
			m.err = fmt.Errorf("tombstone %s in a snapshot", keyOf(ch.Record))
		}
		m.records[keyOf(ch.Record)] = ch.Record
	default:
		m.inSnap = false
		switch {
		case m.resets == 0:
			m.err = fmt.Errorf("change at version %d before any reset", ch.Version)
		case ch.Version != ch.Record.GetVersion():
			m.err = fmt.Errorf("change version %d for a record of version %d", ch.Version, ch.Record.GetVersion())
		case ch.Version <= m.version:
			m.err = fmt.Errorf("change at version %d after version %d (repeated)", ch.Version, m.version)
		case m.contiguous && ch.Version != m.version+1:
			m.err = fmt.Errorf("change at version %d after version %d (versions missed)", ch.Version, m.version)
		}
		m.version = ch.Version
		m.changes++
		if ch.Record.GetDeleted() {
			delete(m.records, keyOf(ch.Record))
		} else {
			m.records[keyOf(ch.Record)] = ch.Record
		}
	}
}

// requireEqual checks that the callbacks kept the contract and rebuilt exactly want. The
// callbacks of a batch run after it is visible to lookups, so it waits for them a moment.
func (m *mirror) requireEqual(t testing.TB, want map[string]*dirsyncv1.Record) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !m.equal(want) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	require.NoError(t, m.err)
	require.Len(t, m.records, len(want))
	for k, rec := range want {
		got := m.records[k]
		require.NotNil(t, got, k)
		require.True(t, proto.Equal(rec, got), "%s: got %v, want %v", k, got, rec)
	}
}

// equal reports whether the mirror holds exactly want.
func (m *mirror) equal(want map[string]*dirsyncv1.Record) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.records) != len(want) {
		return false
	}
	for k, rec := range want {
		if !proto.Equal(rec, m.records[k]) {
			return false
		}
	}
	return true
}

func (m *mirror) stats() (resets, changes int, version uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.resets, m.changes, m.version
}
