package server

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// subscriber is a test client that keeps a copy of the store the way an authorization engine
// does: SyncLatest, then Sync from the returned version. It checks the protocol as it goes:
// versions strictly rising, no tombstone in a snapshot.
type subscriber struct {
	mu      sync.Mutex
	records map[string]string // key → deterministic record bytes
	version uint64
	server  uint64
	err     error
	changed chan struct{}
}

func newSubscriber() *subscriber {
	return &subscriber{records: map[string]string{}, changed: make(chan struct{}, 1)}
}

var deterministic = proto.MarshalOptions{Deterministic: true}

func (s *subscriber) put(r *dirsyncv1.Record) error {
	if r.Version <= s.version && s.server != 0 {
		return fmt.Errorf("record %s at version %d after version %d", recordKey(r), r.Version, s.version)
	}
	if r.Deleted {
		delete(s.records, recordKey(r))
	} else {
		b, err := deterministic.Marshal(r)
		if err != nil {
			return err
		}
		s.records[recordKey(r)] = string(b)
	}
	return nil
}

func (s *subscriber) loaded(v *dirsyncv1.Versions) {
	s.server, s.version = v.ServerVersion, v.LatestRecordVersion
}

func (s *subscriber) notify() {
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// state returns a copy of the records and the version.
func (s *subscriber) state() (map[string]string, uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]string, len(s.records))
	for k, v := range s.records {
		out[k] = v
	}
	return out, s.version, s.err
}

func (s *subscriber) fail(err error) {
	s.mu.Lock()
	if s.err == nil && !errors.Is(err, context.Canceled) {
		s.err = err
	}
	s.mu.Unlock()
	s.notify()
}

// runGRPC subscribes over gRPC until ctx ends.
func (s *subscriber) runGRPC(ctx context.Context, c dirsyncv1.SyncServiceClient) {
	latest, err := c.SyncLatest(ctx, &dirsyncv1.SyncLatestRequest{})
	if err != nil {
		s.fail(err)
		return
	}
	for {
		resp, err := latest.Recv()
		if err != nil {
			s.fail(fmt.Errorf("SyncLatest: %w", err))
			return
		}
		if err := s.apply(resp.Records, resp.Versions, true); err != nil {
			s.fail(err)
			return
		}
		if resp.Versions != nil {
			break
		}
	}
	stream, err := c.Sync(ctx, &dirsyncv1.SyncRequest{ServerVersion: s.server, RecordVersion: s.version})
	if err != nil {
		s.fail(err)
		return
	}
	for {
		resp, err := stream.Recv()
		if err != nil {
			s.fail(fmt.Errorf("Sync: %w", err))
			return
		}
		if err := s.apply(resp.Records, nil, false); err != nil {
			s.fail(err)
			return
		}
		s.checkpoint(resp.Checkpoint)
	}
}

// checkpoint advances the version past changes the stream's filters excluded.
func (s *subscriber) checkpoint(cp *dirsyncv1.Checkpoint) {
	if cp == nil {
		return
	}
	s.mu.Lock()
	s.version = max(s.version, cp.LatestRecordVersion)
	s.mu.Unlock()
	s.notify()
}

func (s *subscriber) apply(recs []*dirsyncv1.Record, v *dirsyncv1.Versions, snapshot bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range recs {
		if snapshot && r.Deleted {
			return fmt.Errorf("tombstone %s in a snapshot", recordKey(r))
		}
		if err := s.put(r); err != nil {
			return err
		}
		if !snapshot {
			s.version = r.Version
		}
	}
	if v != nil {
		s.loaded(v)
	}
	defer s.notify()
	return nil
}

// runREST subscribes through the REST gateway's streaming routes until ctx ends.
func (s *subscriber) runREST(ctx context.Context, baseURL string) {
	err := s.restStream(ctx, baseURL+"/v1/records:latest", func(b []byte) error {
		var resp dirsyncv1.SyncLatestResponse
		if err := protojson.Unmarshal(b, &resp); err != nil {
			return err
		}
		return s.apply(resp.Records, resp.Versions, true)
	})
	if err != nil {
		s.fail(err)
		return
	}
	url := fmt.Sprintf("%s/v1/records:sync?server_version=%d&record_version=%d", baseURL, s.server, s.version)
	s.fail(s.restStream(ctx, url, func(b []byte) error {
		var resp dirsyncv1.SyncResponse
		if err := protojson.Unmarshal(b, &resp); err != nil {
			return err
		}
		if err := s.apply(resp.Records, nil, false); err != nil {
			return err
		}
		s.checkpoint(resp.Checkpoint)
		return nil
	}))
}

// restStream reads a grpc-gateway stream: one JSON object per line, {"result": …} or
// {"error": …}.
func (s *subscriber) restStream(ctx context.Context, url string, fn func([]byte) error) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var line struct {
			Result json.RawMessage `json:"result"`
			Error  json.RawMessage `json:"error"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			return err
		}
		if line.Error != nil {
			return fmt.Errorf("stream error: %s", line.Error)
		}
		if err := fn(line.Result); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return nil
}
