package providertest

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
)

// scripted answers each Sync with the next of its results.
type scripted struct {
	n       atomic.Int32
	results []func() (*providers.Result, error)
}

func (s *scripted) Sync(context.Context, []byte) (*providers.Result, error) {
	return s.results[s.n.Add(1)-1]()
}

func TestHarness(t *testing.T) {
	mk := func(id string, groups ...string) *dirsyncv1.User { return &dirsyncv1.User{Id: id, GroupIds: groups} }
	p := &scripted{results: []func() (*providers.Result, error){
		func() (*providers.Result, error) {
			return &providers.Result{Full: true, Users: []*dirsyncv1.User{mk("a", "g"), mk("b")},
				Groups: []*dirsyncv1.Group{{Id: "g", Name: "G"}}}, nil
		},
		func() (*providers.Result, error) { return nil, errors.New("page 2: HTTP 503") },
		func() (*providers.Result, error) {
			return &providers.Result{Full: true, Users: []*dirsyncv1.User{mk("a", "g")}, Groups: []*dirsyncv1.Group{{Id: "g", Name: "G"}}}, nil
		},
	}}
	h := Start(t, p)
	user, group := dirsyncv1.RecordType_RECORD_TYPE_USER, dirsyncv1.RecordType_RECORD_TYPE_GROUP
	first := h.Changes()
	require.Equal(t, []string{"a", "b"}, Upserted(first, user))
	require.Equal(t, []string{"g"}, Upserted(first, group))
	require.Equal(t, []string{"g"}, h.Users(t)["a"].GetEffectiveGroupIds())

	st := h.Sync(t)
	require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_FAILURE, st.GetLastResult())
	require.Contains(t, st.GetLastError(), "HTTP 503")
	require.Empty(t, h.Changes())
	require.Len(t, h.Users(t), 2)

	st = h.Sync(t)
	require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, st.GetLastResult())
	changes := h.Changes()
	require.Equal(t, []string{"b"}, Deleted(changes, user))
	require.Empty(t, Upserted(changes, user))
}
