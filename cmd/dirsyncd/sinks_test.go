package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/structpb"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/sinks/pomerium"
	"github.com/dirsync/dirsync/sinks/pomerium/pomeriumtest"
)

// TestSinkWiring: dirsyncd with a `sinks:` section pushes its blob directory into a
// (fake) Pomerium databroker and reports the sink in GetSyncStatus.
func TestSinkWiring(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "directory.json")
	sampleDir{
		Users:  []map[string]any{{"id": "u1", "display_name": "Ann", "email": "ann@acme.example", "group_ids": []string{"eng"}}},
		Groups: []map[string]any{{"id": "all", "name": "All"}, {"id": "eng", "name": "Engineering", "group_ids": []string{"all"}}},
	}.write(t, file)
	key := make([]byte, 32)
	_, err := rand.Read(key)
	require.NoError(t, err)
	f := pomeriumtest.Start(t, key)
	t.Setenv("TEST_POMERIUM_SHARED_SECRET", base64.StdEncoding.EncodeToString(key))
	sc, _, _ := daemon(t, `
storage: {driver: bolt, path: `+filepath.Join(dir, "data.db")+`}
directories:
  - name: acme
    provider: blob
    options: {url: "file://`+file+`"}
sinks:
  - type: pomerium_databroker
    name: pomerium
    url: http://`+f.Addr+`
    shared_secret: ${TEST_POMERIUM_SHARED_SECRET}
    directories: [acme]
`)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	first, err := sc.TriggerSync(ctx, &dirsyncv1.TriggerSyncRequest{Directory: "acme"})
	require.NoError(t, err)
	var sink *dirsyncv1.SinkStatus
	require.Eventually(t, func() bool {
		resp, err := sc.GetSyncStatus(ctx, &dirsyncv1.GetSyncStatusRequest{})
		require.NoError(t, err)
		require.Len(t, resp.Sinks, 1)
		sink = resp.Sinks[0]
		return sink.LastPushedVersion >= first.RecordVersion && sink.State == dirsyncv1.SinkState_SINK_STATE_FOLLOWING
	}, 30*time.Second, 10*time.Millisecond)
	require.Equal(t, "pomerium", sink.Name)
	require.Equal(t, []string{"acme"}, sink.Directories)
	require.Empty(t, sink.LastError)
	u1 := f.Get(pomerium.TypeUser, "u1")
	require.NotNil(t, u1)
	require.Equal(t, 2, f.Count(pomerium.TypeGroup))
}

// TestSinkResumesAfterKill: dirsyncd is killed (SIGKILL) in the middle of pushing a large
// directory into the databroker, the directory changes while it is down, and the restarted
// process resumes from the sink's checkpoint: the databroker ends with exactly the
// directory, every change included, delivered by the change log (the reconciliation after
// it repairs nothing).
func TestSinkResumesAfterKill(t *testing.T) {
	const users = 20_000
	dir := t.TempDir()
	file := filepath.Join(dir, "directory.json")
	people := func(from, to int, name string) []map[string]any {
		var out []map[string]any
		for i := from; i < to; i++ {
			out = append(out, map[string]any{"id": fmt.Sprintf("u%05d", i), "display_name": fmt.Sprintf("%s %d", name, i),
				"email": fmt.Sprintf("u%05d@acme.example", i), "group_ids": []string{"eng"}})
		}
		return out
	}
	groups := []map[string]any{{"id": "eng", "name": "Engineering"}}
	sampleDir{Users: people(0, users, "User"), Groups: groups}.write(t, file)

	key := make([]byte, 32)
	_, err := rand.Read(key)
	require.NoError(t, err)
	f := pomeriumtest.Start(t, key)
	t.Setenv("TEST_POMERIUM_SHARED_SECRET", base64.StdEncoding.EncodeToString(key))
	base := `listen: {grpc: "127.0.0.1:${DIRSYNC_GRPC_PORT}", http: "off", metrics: "off"}
storage: {driver: bolt, path: ` + filepath.Join(dir, "data.db") + `}
sync: {lease_ttl: 2s}
directories:
  - {name: acme, provider: blob, options: {url: "file://` + file + `"}, polling: {min_delay: 1h}}
`
	noSinkFile, cfgFile := filepath.Join(dir, "nosink.yaml"), filepath.Join(dir, "dirsync.yaml")
	require.NoError(t, os.WriteFile(noSinkFile, []byte(base), 0o600))
	require.NoError(t, os.WriteFile(cfgFile, []byte(base+`sinks:
  - {type: pomerium_databroker, name: pomerium, url: "http://`+f.Addr+`", shared_secret: "${TEST_POMERIUM_SHARED_SECRET}", directories: [acme]}
`), 0o600))

	// Hold the fifth Put (after storing it) until the process is dead.
	var puts atomic.Int32
	holding, release := make(chan struct{}), make(chan struct{})
	f.OnPut(func(int) {
		if puts.Add(1) == 5 {
			close(holding)
			<-release
		}
	})
	bin := buildDaemon(t)
	first := startProcess(t, "first", bin, cfgFile)
	select {
	case <-holding:
	case <-time.After(time.Minute):
		t.Fatalf("the sink made %d Puts; log:\n%s", puts.Load(), first.log.String())
	}
	first.kill()
	close(release)
	require.Less(t, f.Count(pomerium.TypeUser), users, "killed mid-push")

	// While it is down: 500 users leave, 500 join, 500 are renamed.
	next := append(people(500, 1000, "Renamed"), people(1000, users+500, "User")...)
	sampleDir{Users: next, Groups: groups}.write(t, file)

	// The changes reach the store while no sink runs: a process without the sink takes over
	// the directory once the dead process's lease expires (lease_ttl) and syncs it. (Synced
	// by the restarted process itself, they could land during its first reconciliation,
	// which would then rightly repair them and prove nothing about the checkpoint.)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	between := startProcess(t, "between", bin, noSinkFile)
	require.Eventually(t, func() bool {
		_, err := between.sync.TriggerSync(ctx, &dirsyncv1.TriggerSyncRequest{Directory: "acme"}, grpc.WaitForReady(true))
		return err == nil
	}, 30*time.Second, 100*time.Millisecond)
	between.kill()

	// The restart takes over the sink's lease and resumes from the checkpoint.
	second := startProcess(t, "second", bin, cfgFile)
	require.Eventually(t, func() bool {
		resp, err := second.status(ctx)
		return err == nil && len(resp.Sinks) == 1 && resp.Sinks[0].LagVersions == 0 &&
			resp.Sinks[0].State == dirsyncv1.SinkState_SINK_STATE_FOLLOWING && f.Count(pomerium.TypeUser) == users
	}, time.Minute, 20*time.Millisecond, "the databroker never caught up; log:\n%s", second.log.String())

	require.Nil(t, f.Get(pomerium.TypeUser, "u00000"), "a user who left is deleted")
	require.NotNil(t, f.Get(pomerium.TypeUser, fmt.Sprintf("u%05d", users+499)), "a user who joined is there")
	renamed := f.Get(pomerium.TypeUser, "u00500")
	require.NotNil(t, renamed)
	var data structpb.Struct
	require.NoError(t, renamed.GetData().UnmarshalTo(&data))
	require.Equal(t, "Renamed 500", data.GetFields()["display_name"].GetStringValue())
	// It resumed from the checkpoint the first process saved: the change log from there
	// delivered everything, so the reconciliation that follows had nothing to repair.
	// The reconciliation may end after the push has caught up: wait for its line.
	require.Eventually(t, func() bool { return strings.Contains(second.log.String(), `msg=reconciled sink=pomerium`) },
		time.Minute, 20*time.Millisecond, "no reconciliation; log:\n%s", second.log.String())
	log := second.log.String()
	m := regexp.MustCompile(`msg="resuming from the checkpoint" sink=pomerium record_version=(\d+)`).FindStringSubmatch(log)
	require.NotNil(t, m, "no resume in the log:\n%s", log)
	resumed, _ := strconv.Atoi(m[1])
	require.Greater(t, resumed, 0)
	require.NotRegexp(t, `msg=reconciled sink=pomerium record_version=\d+ repairs=[1-9]`, log)
}
