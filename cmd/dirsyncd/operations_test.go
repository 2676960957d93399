package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/dirsync/dirsync/config"
	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/builtin"
)

// gatedProvider returns one user once open is closed.
type gatedProvider struct{ open <-chan struct{} }

func (p gatedProvider) Sync(ctx context.Context, _ []byte) (*providers.Result, error) {
	select {
	case <-p.open:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return &providers.Result{Full: true, Users: []*dirsyncv1.User{{Id: "v1", Email: "v1@example.com"}}}, nil
}

// scrape reads the metrics endpoint.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	return fams
}

// value returns the value of the series of family name whose labels include want; for a
// histogram, its count. ok is false when there is none.
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f := fams[name]
	if f == nil {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		}
	}
	return 0, false
}

func requireValue(t *testing.T, fams map[string]*dto.MetricFamily, want float64, name string, labels map[string]string) {
	t.Helper()
	got, ok := value(fams, name, labels)
	require.True(t, ok, "no series %s%v; families: %v", name, labels, familyNames(fams))
	require.Equal(t, want, got, "%s%v", name, labels)
}

func familyNames(fams map[string]*dto.MetricFamily) []string {
	var out []string
	for n := range fams {
		if strings.HasPrefix(n, "dirsync") || strings.HasPrefix(n, "rpc") || strings.HasPrefix(n, "http") {
			out = append(out, n)
		}
	}
	return out
}

// TestOperations runs the daemon with auth, a blob directory and a directory whose first
// sync is held back, and checks readiness, the metrics after a scripted sync and stream,
// and that the captured debug log holds none of the configured secrets.
func TestOperations(t *testing.T) {
	const (
		adminKey   = "adm-9f2c1e7a-key-material"
		vaultToken = "vault-token-5d1b3a9c"
		enrollSec  = "c2VjcmV0LWZvci1lbnJvbGxtZW50LWxpbmtzLTEyMzQ1Njc4OTA=" // 38 bytes
	)
	hash := sha256.Sum256([]byte(adminKey))
	dir := t.TempDir()
	file := filepath.Join(dir, "directory.json")
	sampleDir{
		Users:  []map[string]any{{"id": "u1", "email": "u1@example.com", "group_ids": []string{"g1"}}, {"id": "u2"}, {"id": "u3"}},
		Groups: []map[string]any{{"id": "g1", "name": "Eng"}},
	}.write(t, file)
	grpcAddr, httpAddr, metricsAddr := freeAddr(t), freeAddr(t), freeAddr(t)
	doc := fmt.Sprintf(`listen: {grpc: %q, http: %q, metrics: %q}
storage: {driver: memory}
log: {format: json, level: debug}
auth:
  api_keys: [{name: console, role: admin, sha256: %s}]
enrollment: {base_url: "https://authenticate.example.com", secret: %q}
directories:
  - {name: acme, provider: blob, options: {url: %q}, polling: {min_delay: 1h}}
  - {name: vault, provider: vault, options: {url: "https://idp.example", api_token: %q}, polling: {min_delay: 1h}}
`, grpcAddr, httpAddr, metricsAddr, hex.EncodeToString(hash[:]), enrollSec, "file://"+file, vaultToken)
	cfg, err := config.Parse([]byte(doc))
	require.NoError(t, err)

	reg := builtin.Registry()
	open := make(chan struct{})
	providers.Register(reg, "vault", "Secret IdP", func(secretOptions, providers.Deps) (providers.Provider, error) {
		return gatedProvider{open: open}, nil
	})
	var logs syncBuffer
	log, err := newLogger(&logs, cfg.Log, "")
	require.NoError(t, err)
	dirs, err := directories(cfg, reg, log)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, reg, dirs, log) }()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			require.NoError(t, <-done)
		}
	}
	t.Cleanup(stop)

	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + httpAddr + path)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// Not ready while vault's first sync is held back; live all along.
	require.Eventually(t, func() bool {
		code, body := get("/readyz")
		return code == http.StatusServiceUnavailable && strings.Contains(body, `directory "vault": first sync not finished`) &&
			!strings.Contains(body, `"acme"`)
	}, 10*time.Second, 10*time.Millisecond)
	code, _ := get("/healthz")
	require.Equal(t, http.StatusOK, code)
	close(open)
	require.Eventually(t, func() bool { code, _ := get("/readyz"); return code == http.StatusOK }, 10*time.Second, 10*time.Millisecond)

	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer conn.Close()
	sc := dirsyncv1.NewSyncServiceClient(conn)
	actx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+adminKey)
	_, err = sc.GetSyncStatus(metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+adminKey+"x"), &dirsyncv1.GetSyncStatusRequest{})
	require.Equal(t, codes.Unauthenticated, status.Code(err))

	// A subscriber reads everything, then the change of a scripted sync.
	latest, err := sc.SyncLatest(actx, &dirsyncv1.SyncLatestRequest{})
	require.NoError(t, err)
	var sv uint64
	for {
		m, err := latest.Recv()
		require.NoError(t, err)
		if v := m.GetVersions(); v != nil {
			sv = v.GetServerVersion()
			break
		}
	}
	sctx, cancelStream := context.WithCancel(actx)
	defer cancelStream()
	stream, err := sc.Sync(sctx, &dirsyncv1.SyncRequest{ServerVersion: sv})
	require.NoError(t, err)
	received := 0
	for received < 5 { // acme: 3 users + 1 group; vault: 1 user
		m, err := stream.Recv()
		require.NoError(t, err)
		received += len(m.GetRecords())
	}
	sampleDir{
		Users:  []map[string]any{{"id": "u1", "email": "u1@example.com", "group_ids": []string{"g1"}}, {"id": "u2", "email": "new@example.com"}, {"id": "u3"}, {"id": "u4"}},
		Groups: []map[string]any{{"id": "g1", "name": "Eng"}},
	}.write(t, file)
	tr, err := sc.TriggerSync(actx, &dirsyncv1.TriggerSyncRequest{Directory: "acme"})
	require.NoError(t, err)
	require.Equal(t, int64(2), tr.GetStatus().GetLastChanges())
	for received < 7 {
		m, err := stream.Recv()
		require.NoError(t, err)
		received += len(m.GetRecords())
	}
	require.Equal(t, 7, received)

	metricsURL := "http://" + metricsAddr + "/metrics"
	var fams map[string]*dto.MetricFamily
	require.Eventually(t, func() bool { // the lag gauge follows the stream's cursor
		fams = scrape(t, metricsURL)
		lag, ok := value(fams, "dirsync_stream_lag", nil)
		return ok && lag == 0
	}, 10*time.Second, 10*time.Millisecond)
	acme := map[string]string{"directory": "acme"}
	requireValue(t, fams, 2, "dirsync_sync_runs_total", map[string]string{"directory": "acme", "result": "success"})
	requireValue(t, fams, 1, "dirsync_sync_runs_total", map[string]string{"directory": "vault", "result": "success"})
	requireValue(t, fams, 2, "dirsync_sync_duration_seconds", map[string]string{"directory": "acme", "result": "success"})
	requireValue(t, fams, 4+2, "dirsync_sync_changes_total", acme)
	requireValue(t, fams, 4, "dirsync_sync_records", map[string]string{"directory": "acme", "type": "user"})
	requireValue(t, fams, 1, "dirsync_sync_records", map[string]string{"directory": "acme", "type": "group"})
	requireValue(t, fams, 2, "dirsync_store_apply_duration_seconds", acme)
	last, ok := value(fams, "dirsync_sync_last_success_seconds", acme)
	require.True(t, ok)
	require.InDelta(t, float64(time.Now().Unix()), last, 60)
	requireValue(t, fams, 1, "dirsync_stream_subscribers", map[string]string{"rpc": "Sync"})
	requireValue(t, fams, 0, "dirsync_stream_subscribers", map[string]string{"rpc": "SyncLatest"})
	requireValue(t, fams, 7, "dirsync_stream_records_sent_total", map[string]string{"rpc": "Sync"})
	requireValue(t, fams, 5, "dirsync_stream_records_sent_total", map[string]string{"rpc": "SyncLatest"})
	requireValue(t, fams, float64(tr.GetRecordVersion()), "dirsync_store_version_latest", nil)
	requireValue(t, fams, 0, "dirsync_store_version_earliest", nil)
	requireValue(t, fams, 1, "rpc_server_call_duration_seconds", map[string]string{"rpc_method": "dirsync.v1.SyncService/TriggerSync", "rpc_response_status_code": "OK"})
	requireValue(t, fams, 1, "rpc_server_call_duration_seconds", map[string]string{"rpc_method": "dirsync.v1.SyncService/GetSyncStatus", "rpc_response_status_code": "UNAUTHENTICATED"})

	// REST with the key; then stop and read the whole log.
	req, err := http.NewRequest(http.MethodGet, "http://"+httpAddr+"/v1/sync/status", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+adminKey)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	cancelStream()
	stop()
	out := logs.String()
	require.Contains(t, out, `"msg":"call refused"`)
	require.Contains(t, out, `"run_id":`)
	for name, secret := range map[string]string{"api key": adminKey, "api key hash": hex.EncodeToString(hash[:]),
		"provider secret": vaultToken, "enrollment secret": enrollSec} {
		require.NotContains(t, out, secret, "the log holds the %s", name)
	}
	_ = os.Remove(file)
}
