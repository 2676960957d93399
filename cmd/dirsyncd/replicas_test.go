package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	"github.com/dirsync/dirsync/client"
	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// replicaLeaseTTL is the lease TTL of TestReplicasOnOneDatabase: the longest a directory
// goes unsynced after its replica dies.
const replicaLeaseTTL = 3 * time.Second

// TestReplicasOnOneDatabase runs two dirsyncd processes on one PostgreSQL database with a
// blob directory: one syncs and both report its status; subscribers of both see the same
// changes; after SIGKILL of the leader the other takes over within the lease TTL (plus its
// retry period), its subscribers see no gap or duplicate, and a subscriber of the dead
// process resumes on the survivor from its version. Skipped without DIRSYNC_TEST_POSTGRES_DSN.
func TestReplicasOnOneDatabase(t *testing.T) {
	dsn := testDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bin := buildDaemon(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "directory.json")
	users := []map[string]any{{"id": "u1", "email": "u1@example.com"}}
	for i := 2; i <= 8; i++ { // enough that deleting one stays below max_delete_fraction
		users = append(users, map[string]any{"id": fmt.Sprintf("u%d", i)})
	}
	sampleDir{Users: users}.write(t, file)
	cfgFile := filepath.Join(dir, "dirsync.yaml")
	doc := fmt.Sprintf(`listen: {grpc: "127.0.0.1:${DIRSYNC_GRPC_PORT}", http: "off", metrics: "off"}
storage: {driver: postgres, dsn: %q}
sync: {lease_ttl: %s}
directories: [{name: acme, provider: blob, options: {url: %q}, polling: {min_delay: 1h}}]
`, dsn, replicaLeaseTTL, "file://"+file)
	require.NoError(t, os.WriteFile(cfgFile, []byte(doc), 0o600))
	t.Setenv("DIRSYNC_GRPC_PORT", "7070") // for migrate, which does not listen
	var out strings.Builder
	require.NoError(t, run([]string{"migrate", "-config", cfgFile}, &out, &out), out.String())

	procs := []*process{startProcess(t, "a", bin, cfgFile), startProcess(t, "b", bin, cfgFile)}

	// Exactly one syncs: its log says so and TriggerSync succeeds only there.
	var leader, standby *process
	require.Eventually(t, func() bool {
		n := 0
		for _, p := range procs {
			if strings.Contains(p.log.String(), "lease acquired") {
				leader, n = p, n+1
			}
		}
		return n == 1
	}, 20*time.Second, 10*time.Millisecond, "one process takes the lease")
	standby = procs[0]
	if leader == procs[0] {
		standby = procs[1]
	}
	_, err := standby.sync.TriggerSync(ctx, &dirsyncv1.TriggerSyncRequest{Directory: "acme"}, grpc.WaitForReady(true))
	require.Error(t, err, "the standby refuses to sync")
	first := trigger(ctx, t, leader)

	// Subscribers on both: raw streams from version 0 and Go clients.
	sv := serverVersion(ctx, t, leader.sync)
	require.Equal(t, sv, serverVersion(ctx, t, standby.sync), "one database, one server_version")
	streams := map[*process]*recorder{leader: follow(ctx, t, leader.sync, sv, 0), standby: follow(ctx, t, standby.sync, sv, 0)}
	clients := map[*process]*client.Client{leader: startClient(ctx, t, leader.addr), standby: startClient(ctx, t, standby.addr)}
	sameStatus(ctx, t, leader, standby)

	// An edit synced by the leader reaches both replicas' subscribers identically.
	users[0]["email"] = "u1@example.net"
	users = append(users, map[string]any{"id": "u9"})
	sampleDir{Users: users}.write(t, file)
	edited := trigger(ctx, t, leader)
	require.Greater(t, edited, first)
	for p, r := range streams {
		r.waitFor(t, edited)
		require.NoError(t, clients[p].WaitForVersion(ctx, edited))
	}
	require.Equal(t, streams[leader].snapshot(), streams[standby].snapshot(), "the same changes on both replicas")
	requireContiguous(t, streams[standby].snapshot(), 0)
	sameStatus(ctx, t, leader, standby)

	// SIGKILL the leader: the standby takes over once the lease expires.
	killedAt := time.Now()
	leader.kill()
	<-streams[leader].done
	resumeFrom := streams[leader].last()
	var took time.Duration
	require.Eventually(t, func() bool {
		tctx, tcancel := context.WithTimeout(ctx, replicaLeaseTTL)
		defer tcancel()
		_, err := standby.sync.TriggerSync(tctx, &dirsyncv1.TriggerSyncRequest{Directory: "acme"})
		took = time.Since(killedAt)
		return err == nil
	}, 4*replicaLeaseTTL, 50*time.Millisecond, "the standby takes over")
	t.Logf("takeover %v after SIGKILL (lease TTL %v)", took, replicaLeaseTTL)
	require.LessOrEqual(t, took, replicaLeaseTTL+replicaLeaseTTL/3+time.Second, "takeover within TTL plus the retry period")
	st, err := standby.status(ctx)
	require.NoError(t, err)
	require.NotEqual(t, dirsyncv1.SyncState_SYNC_STATE_STANDBY, st.Directories[0].State)

	users = append(users[1:], map[string]any{"id": "u10"}) // deletes u1, adds u10
	sampleDir{Users: users}.write(t, file)
	after := trigger(ctx, t, standby)
	require.Greater(t, after, edited)

	// The survivor's subscribers: no gap, no duplicate, no resync.
	streams[standby].waitFor(t, after)
	requireContiguous(t, streams[standby].snapshot(), 0)
	require.NoError(t, clients[standby].WaitForVersion(ctx, after))
	require.Zero(t, clients[standby].Metrics().Resyncs)

	// The dead replica's subscriber resumes on the survivor from its version.
	resumed := follow(ctx, t, standby.sync, sv, resumeFrom)
	resumed.waitFor(t, after)
	requireContiguous(t, resumed.snapshot(), resumeFrom)
	require.Equal(t, streams[standby].snapshot()[resumeFrom:], resumed.snapshot())
}

// trigger runs the directory's sync on p and returns the record version it produced.
func trigger(ctx context.Context, t *testing.T, p *process) uint64 {
	t.Helper()
	res, err := p.sync.TriggerSync(ctx, &dirsyncv1.TriggerSyncRequest{Directory: "acme"}, grpc.WaitForReady(true))
	require.NoError(t, err)
	require.Equal(t, dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS, res.Status.LastResult, res.Status.LastError)
	return res.RecordVersion
}

// sameStatus waits until both processes report the same status (a standby re-reads the
// stored status at most once a second), with the leader's state.
func sameStatus(ctx context.Context, t *testing.T, leader, standby *process) {
	t.Helper()
	var a, b *dirsyncv1.GetSyncStatusResponse
	require.Eventually(t, func() bool {
		var err error
		if a, err = leader.status(ctx); err != nil {
			return false
		}
		if b, err = standby.status(ctx); err != nil {
			return false
		}
		return proto.Equal(a, b)
	}, 10*time.Second, 20*time.Millisecond, "leader %v\nstandby %v", a, b)
	require.Len(t, a.Directories, 1)
	require.NotEqual(t, dirsyncv1.SyncState_SYNC_STATE_STANDBY, a.Directories[0].State)
	require.NotNil(t, a.Directories[0].LastEnd)
}

// startClient runs a Go client against addr until the test ends.
func startClient(ctx context.Context, t *testing.T, addr string) *client.Client {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	c := client.New(conn, client.Options{MaxBackoff: time.Second})
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = c.Run(cctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	require.NoError(t, c.WaitReady(ctx))
	return c
}
