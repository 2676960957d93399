package providertest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
)

// reporting reports a fixed progress and returns two users.
type reporting struct{}

func (reporting) Sync(ctx context.Context, _ []byte) (*providers.Result, error) {
	pr := providers.ProgressFrom(ctx)
	pr.Request()
	pr.Request()
	pr.RateLimited(time.Second)
	pr.Read(2, 0)
	pr.Read(0, 1)
	return &providers.Result{Full: true, Users: []*dirsyncv1.User{{Id: "b"}, {Id: "a"}}}, nil
}

func TestProgressAndRecords(t *testing.T) {
	res, pr, err := SyncCounted(reporting{}, nil)
	require.NoError(t, err)
	require.Equal(t, 2, pr.Requests())
	require.Equal(t, []time.Duration{time.Second}, pr.Waits())
	require.Equal(t, 2, pr.Reads())
	require.Equal(t, 2, pr.UsersRead())
	require.Equal(t, 1, pr.GroupsRead())

	require.Equal(t, []string{"b", "a"}, IDs(FullSync(t, reporting{}).Users))
	require.Nil(t, IDs([]*dirsyncv1.Group(nil)))
	require.Equal(t, "a", ByID(res.Users)["a"].GetId())
	require.Equal(t, 0, CeilDiv(0, 100))
	require.Equal(t, 3, CeilDiv(201, 100))
}
