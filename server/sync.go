package server

import (
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/replica"
	"github.com/dirsync/dirsync/store"
)

// syncService implements SyncService over the store and the broadcaster.
type syncService struct {
	dirsyncv1.UnimplementedSyncServiceServer
	store       store.Store
	bc          *broadcaster
	frames      frameCache // shared by unfiltered Sync streams
	heartbeat   time.Duration
	sendTimeout time.Duration
	// stopping is closed when the server shuts down; it ends every stream.
	stopping <-chan struct{}
	metrics  *streamMetrics

	// For the status RPCs.
	replica   *replica.Replica
	syncer    Syncer
	providers *providers.Registry
	sinks     Sinks
}

func (s *syncService) SyncLatest(req *dirsyncv1.SyncLatestRequest, stream grpc.ServerStreamingServer[dirsyncv1.SyncLatestResponse]) error {
	f, err := filterOf(req.GetTypes(), req.GetDirectories())
	if err != nil {
		return err
	}
	return s.guard(stream, func(send func(any) error) error {
		var fr frame
		f.DataOnly = true
		sendFrame := func() error {
			n := fr.count
			err := send(fr.take())
			if err == nil {
				s.metrics.recordsSent(stream.Context(), "SyncLatest", n)
			}
			return err
		}
		v, err := s.store.Snapshot(stream.Context(), f, func(r store.Record) error {
			fr.add(r.Data)
			if fr.full() {
				return sendFrame()
			}
			return nil
		})
		if err != nil {
			return err
		}
		if fr.count > 0 {
			if err := sendFrame(); err != nil {
				return err
			}
		}
		return send(&dirsyncv1.SyncLatestResponse{Versions: v.Proto()})
	})
}

func (s *syncService) Sync(req *dirsyncv1.SyncRequest, stream grpc.ServerStreamingServer[dirsyncv1.SyncResponse]) error {
	f, err := filterOf(req.GetTypes(), req.GetDirectories())
	if err != nil {
		return err
	}
	ctx := stream.Context()
	v, err := s.store.Versions(ctx)
	if err != nil {
		return err
	}
	cursor := req.GetRecordVersion()
	switch {
	case req.GetServerVersion() != v.ServerVersion:
		return fmt.Errorf("%w: the client has server_version %d, this store is %d", errServerVersionMismatch, req.GetServerVersion(), v.ServerVersion)
	case cursor > v.Latest:
		return fmt.Errorf("%w: record_version %d is ahead of this store's latest %d", errServerVersionMismatch, cursor, v.Latest)
	case cursor < v.Earliest:
		return fmt.Errorf("%w: record_version %d is below the earliest retained %d", store.ErrVersionTooOld, cursor, v.Earliest)
	}
	// Headers now, so the client knows the stream is established before any change.
	if err := stream.SendHeader(nil); err != nil {
		return err
	}
	return s.guard(stream, func(send func(any) error) error {
		var batch []store.Record
		lastSend := time.Now()
		timer := time.NewTimer(s.heartbeat)
		defer timer.Stop()
		unfiltered := len(f.Types) == 0 && len(f.Directories) == 0
		var position atomic.Uint64 // the cursor, for the lag gauge
		position.Store(cursor)
		defer s.metrics.follow(&position)()
		for {
			position.Store(cursor)
			var msg *rawMessage
			var wake <-chan struct{}
			var err error
			sent := 0
			if unfiltered {
				prev := cursor
				msg, cursor, wake, err = s.frames.frame(ctx, s.bc, cursor)
				sent = int(cursor - prev) // unfiltered: one record per version
			} else {
				batch, cursor, wake, err = s.bc.read(ctx, cursor, f, batch[:0])
				if len(batch) > 0 {
					msg, sent = frameOf(batch), len(batch)
					clear(batch) // drop references to record data while idle
				}
			}
			if err != nil {
				return err
			}
			if msg != nil {
				if err := send(msg); err != nil {
					return err
				}
				s.metrics.recordsSent(ctx, "Sync", sent)
				lastSend = time.Now()
				continue
			}
			if wake == nil {
				continue // everything read was filtered out; read on
			}
			if due := time.Until(lastSend.Add(s.heartbeat)); due > 0 {
				timer.Reset(due)
				select {
				case <-wake:
					continue
				case <-timer.C:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			cp := &dirsyncv1.SyncResponse{Checkpoint: &dirsyncv1.Checkpoint{LatestRecordVersion: cursor, Time: timestamppb.Now()}}
			if err := send(cp); err != nil {
				return err
			}
			lastSend = time.Now()
		}
	})
}

// guard runs pump, which sends through the stream, in its own goroutine and ends the stream
// with UNAVAILABLE when one send stays blocked longer than sendTimeout (a peer that stopped
// reading): returning from the handler is the only way to abort a blocked gRPC send. The
// client resumes from the last version it received.
func (s *syncService) guard(stream grpc.ServerStream, pump func(send func(any) error) error) error {
	var sendingSince atomic.Int64 // unix nanos while a send is in progress, else 0
	method, _ := grpc.Method(stream.Context())
	rpc := method[strings.LastIndex(method, "/")+1:]
	defer s.metrics.opened(stream.Context(), rpc)()
	send := func(m any) error {
		sendingSince.Store(time.Now().UnixNano())
		err := stream.SendMsg(m)
		sendingSince.Store(0)
		return err
	}
	done := make(chan error, 1)
	go func() { done <- pump(send) }()
	tick := time.NewTicker(max(s.sendTimeout/4, time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			return err
		case <-s.stopping:
			return status.Error(codes.Unavailable, "server is shutting down: resume with Sync")
		case <-tick.C:
			if t := sendingSince.Load(); t != 0 && time.Since(time.Unix(0, t)) > s.sendTimeout {
				s.metrics.sendTimedOut(stream.Context(), rpc)
				return status.Errorf(codes.Unavailable, "send blocked for more than %s: the client is not reading; resume with Sync", s.sendTimeout)
			}
		}
	}
}

// filterOf validates a request's type and directory filters.
func filterOf(types []dirsyncv1.RecordType, dirs []string) (store.Filter, error) {
	for _, t := range types {
		if _, known := dirsyncv1.RecordType_name[int32(t)]; !known || t == dirsyncv1.RecordType_RECORD_TYPE_UNSPECIFIED {
			return store.Filter{}, invalidField("types", "unknown record type %d", t)
		}
	}
	if slices.Contains(dirs, "") {
		return store.Filter{}, invalidField("directories", "empty directory name")
	}
	return store.Filter{Types: types, Directories: dirs}, nil
}
