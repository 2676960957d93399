package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/dirsync/dirsync/config"
	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers/builtin"
)

// freeAddr returns a loopback address that was free a moment ago.
func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

// sampleDir is a directory file in the blob provider's JSON format.
type sampleDir struct {
	Users  []map[string]any `json:"users"`
	Groups []map[string]any `json:"groups"`
}

func (d sampleDir) write(t *testing.T, path string) {
	b, err := json.Marshal(d)
	require.NoError(t, err)
	tmp := path + ".tmp"
	require.NoError(t, os.WriteFile(tmp, b, 0o600))
	require.NoError(t, os.Rename(tmp, path))
}

// daemon runs serve with a configuration until stop is called or the test ends.
func daemon(t *testing.T, doc string) (sc dirsyncv1.SyncServiceClient, qc dirsyncv1.DirectoryQueryClient, stop func()) {
	cfg, err := config.Parse([]byte(doc))
	require.NoError(t, err)
	cfg.Listen = config.Listen{GRPC: freeAddr(t), HTTP: "off"}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	reg := builtin.Registry()
	dirs, err := directories(cfg, reg, log)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, reg, dirs, log) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			require.NoError(t, <-done)
		})
	}
	t.Cleanup(stop)
	conn, err := grpc.NewClient(cfg.Listen.GRPC, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.WaitForReady(true)))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return dirsyncv1.NewSyncServiceClient(conn), dirsyncv1.NewDirectoryQueryClient(conn), stop
}

// TestEndToEnd: dirsyncd syncs a blob file; a Sync subscriber sees the initial records, then
// after edits and TriggerSync exactly the changed records and tombstones; queries answer at
// the returned version.
func TestEndToEnd(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "directory.json")
	user := func(id string, groups ...string) map[string]any {
		return map[string]any{"id": id, "display_name": "User " + id, "email": id + "@acme.example", "group_ids": groups}
	}
	data := sampleDir{
		Users: []map[string]any{user("u1", "platform"), user("u2", "eng"), user("u3", "sales"), user("u4", "sales"), user("u5", "eng")},
		Groups: []map[string]any{{"id": "all", "name": "All"}, {"id": "eng", "name": "Engineering", "group_ids": []string{"all"}},
			{"id": "platform", "name": "Platform", "group_ids": []string{"eng"}}, {"id": "sales", "name": "Sales", "group_ids": []string{"all"}}},
	}
	data.write(t, file)
	sc, query, _ := daemon(t, `
storage: {driver: bolt, path: `+filepath.Join(dir, "data.db")+`}
directories:
  - name: acme
    provider: blob
    options: {url: "file://`+file+`"}
    polling: {min_delay: 1h, max_delay: 1h}
`)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// The first run is triggered at start; TriggerSync waits for a run of its own.
	first, err := sc.TriggerSync(ctx, &dirsyncv1.TriggerSyncRequest{Directory: "acme"})
	require.NoError(t, err)
	require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, first.Status.LastResult, first.Status.LastError)
	require.EqualValues(t, 5, first.Status.Users)
	require.EqualValues(t, 4, first.Status.Groups)

	latest, err := sc.SyncLatest(ctx, &dirsyncv1.SyncLatestRequest{})
	require.NoError(t, err)
	var snapshot []*dirsyncv1.Record
	var versions *dirsyncv1.Versions
	for versions == nil {
		resp, err := latest.Recv()
		require.NoError(t, err)
		snapshot = append(snapshot, resp.Records...)
		versions = resp.Versions
	}
	require.Len(t, snapshot, 9)
	require.Equal(t, first.RecordVersion, versions.LatestRecordVersion)
	stream, err := sc.Sync(ctx, &dirsyncv1.SyncRequest{ServerVersion: versions.ServerVersion, RecordVersion: versions.LatestRecordVersion})
	require.NoError(t, err)

	// Edit: add u6, rename sales, move u2 from eng to platform, delete u5, and re-parent
	// platform under all (u1's effective groups change).
	data.Users = []map[string]any{user("u1", "platform"), user("u2", "platform"), user("u3", "sales"), user("u4", "sales"), user("u6", "sales")}
	data.Groups[3]["name"] = "Revenue"
	data.Groups[2]["group_ids"] = []string{"all"}
	data.write(t, file)
	second, err := sc.TriggerSync(ctx, &dirsyncv1.TriggerSyncRequest{Directory: "acme"})
	require.NoError(t, err)
	require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, second.Status.LastResult, second.Status.LastError)

	var got []string
	for v := versions.LatestRecordVersion; v < second.RecordVersion; {
		resp, err := stream.Recv()
		require.NoError(t, err)
		for _, r := range resp.Records {
			name := r.Type.String() + " " + r.Id
			if r.Deleted {
				name += " deleted"
			}
			got = append(got, name)
			v = r.Version
		}
	}
	slices.Sort(got)
	require.Equal(t, []string{
		"RECORD_TYPE_GROUP platform", // re-parented
		"RECORD_TYPE_GROUP sales",    // renamed
		"RECORD_TYPE_USER u1",        // effective groups no longer include eng
		"RECORD_TYPE_USER u2",        // moved
		"RECORD_TYPE_USER u5 deleted",
		"RECORD_TYPE_USER u6", // added
	}, got)
	require.EqualValues(t, 6, second.Status.LastChanges)

	u1, err := query.GetUser(ctx, &dirsyncv1.GetUserRequest{Directory: "acme", Id: "u1", MinRecordVersion: second.RecordVersion})
	require.NoError(t, err)
	require.Equal(t, []string{"all", "platform"}, u1.User.EffectiveGroupIds)
	sales, err := query.GetGroup(ctx, &dirsyncv1.GetGroupRequest{Directory: "acme", Id: "sales", MinRecordVersion: second.RecordVersion})
	require.NoError(t, err)
	require.Equal(t, "Revenue", sales.Group.Name)
	members, err := query.ListGroupMembers(ctx, &dirsyncv1.ListGroupMembersRequest{Directory: "acme", GroupId: "all",
		Membership: dirsyncv1.Membership_MEMBERSHIP_TRANSITIVE, MinRecordVersion: second.RecordVersion})
	require.NoError(t, err)
	require.Len(t, members.Users, 5)

	// Nothing changed: a run writes nothing.
	third, err := sc.TriggerSync(ctx, &dirsyncv1.TriggerSyncRequest{Directory: "acme"})
	require.NoError(t, err)
	require.Equal(t, second.RecordVersion, third.RecordVersion)
}

// TestFailureGuardAndOrphans: a malformed file changes nothing and the status names the
// error; fixing the file recovers; deleting 60% is blocked until forced; a directory removed
// from the configuration keeps its records as ORPHANED until purged.
func TestFailureGuardAndOrphans(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "directory.json")
	var data sampleDir
	for i := range 10 {
		data.Users = append(data.Users, map[string]any{"id": fmt.Sprintf("u%d", i), "email": fmt.Sprintf("u%d@acme.example", i)})
	}
	data.write(t, file)
	doc := `
storage: {driver: bolt, path: ` + filepath.Join(dir, "data.db") + `}
directories:
  - name: acme
    provider: blob
    options: {url: "file://` + file + `"}
    polling: {min_delay: 1h, max_delay: 1h}
`
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	func() {
		sc, query, stop := daemon(t, doc)
		defer stop()
		ok, err := sc.TriggerSync(ctx, &dirsyncv1.TriggerSyncRequest{Directory: "acme"})
		require.NoError(t, err)
		require.EqualValues(t, 10, ok.Status.Users)

		require.NoError(t, os.WriteFile(file, []byte(`{"users": [{"id": "u1", "emial": "x"}]}`), 0o600))
		bad, err := sc.TriggerSync(ctx, &dirsyncv1.TriggerSyncRequest{Directory: "acme"})
		require.NoError(t, err)
		require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_FAILURE, bad.Status.LastResult)
		require.Equal(t, dirsyncv1.SyncState_SYNC_STATE_BACKING_OFF, bad.Status.State)
		require.Contains(t, bad.Status.LastError, `directory.json: users[0] (line 1, column 25): unknown field "emial"`)
		require.NotNil(t, bad.Status.NextRun)
		require.EqualValues(t, 1, bad.Status.ConsecutiveFailures)
		require.Equal(t, ok.RecordVersion, bad.RecordVersion, "a failed run writes nothing")
		users, err := query.ListUsers(ctx, &dirsyncv1.ListUsersRequest{Directory: "acme"})
		require.NoError(t, err)
		require.Len(t, users.Users, 10)

		data.write(t, file)
		fixed, err := sc.TriggerSync(ctx, &dirsyncv1.TriggerSyncRequest{Directory: "acme"})
		require.NoError(t, err)
		require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, fixed.Status.LastResult)
		require.Empty(t, fixed.Status.LastError)
		require.Zero(t, fixed.Status.ConsecutiveFailures)

		kept := data
		kept.Users = data.Users[:4]
		kept.write(t, file)
		blocked, err := sc.TriggerSync(ctx, &dirsyncv1.TriggerSyncRequest{Directory: "acme"})
		require.NoError(t, err)
		require.Equal(t, dirsyncv1.SyncState_SYNC_STATE_BLOCKED, blocked.Status.State)
		require.Contains(t, blocked.Status.LastError, "would delete 6 of 10 records")
		require.Equal(t, fixed.RecordVersion, blocked.RecordVersion)
		forced, err := sc.TriggerSync(ctx, &dirsyncv1.TriggerSyncRequest{Directory: "acme", Force: true})
		require.NoError(t, err)
		require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, forced.Status.LastResult)
		require.True(t, forced.Status.LastForced)
		require.EqualValues(t, 4, forced.Status.Users)
	}()
	t.Run("restart without the directory", func(t *testing.T) {
		sc, query, _ := daemon(t, "storage: {driver: bolt, path: "+filepath.Join(dir, "data.db")+"}\n")
		st, err := sc.GetSyncStatus(ctx, &dirsyncv1.GetSyncStatusRequest{})
		require.NoError(t, err)
		require.Len(t, st.Directories, 1)
		require.Equal(t, dirsyncv1.SyncState_SYNC_STATE_ORPHANED, st.Directories[0].State)
		require.EqualValues(t, 4, st.Directories[0].Users)
		_, err = sc.TriggerSync(ctx, &dirsyncv1.TriggerSyncRequest{Directory: "acme"})
		require.Equal(t, codes.NotFound, status.Code(err))

		purged, err := sc.PurgeDirectory(ctx, &dirsyncv1.PurgeDirectoryRequest{Directory: "acme"})
		require.NoError(t, err)
		require.EqualValues(t, 4, purged.DeletedRecords)
		users, err := query.ListUsers(ctx, &dirsyncv1.ListUsersRequest{Directory: "acme", MinRecordVersion: purged.RecordVersion})
		require.NoError(t, err)
		require.Empty(t, users.Users)
	})
}
