package pomerium

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/dirsync/dirsync/gen/databroker"
	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store"
)

// held is what reconciliation knows of one databroker record: the hash of its data's
// canonical encoding, and whether the store's snapshot has been compared with it.
type held struct {
	hash uint64
	done bool
}

// reconcile makes the databroker's directory records equal to the store's records of the
// sink's directories as of one snapshot at version S, and moves the checkpoint to S:
//
//  1. read both record types from the databroker with SyncLatest, keeping the hash of each
//     record's data (in canonical form, so an equal record encoded otherwise is equal);
//  2. read the store's snapshot, and Put each record the databroker lacks or holds
//     otherwise;
//  3. delete the databroker's records the snapshot does not hold.
//
// Nothing else writes the sink's record types meanwhile (the sink holds its lease, and
// pushes nothing else while it reconciles), so afterwards the databroker holds the
// snapshot. Memory grows with the number of records (a key and a hash each), not with their
// size.
func (s *Sink) reconcile(ctx context.Context, p *putter) error {
	s.setState(dirsyncv1.SinkState_SINK_STATE_RECONCILING)
	seed := maphash.MakeSeed()
	have := make(map[string]held)
	var brokerVersion uint64
	for _, typ := range []string{TypeUser, TypeGroup} {
		sv, err := s.readBroker(ctx, typ, seed, have)
		if err != nil {
			return fmt.Errorf("reconcile: databroker records of type %s: %w", typ, err)
		}
		if brokerVersion != 0 && sv != brokerVersion {
			return errors.New("reconcile: the databroker's server_version changed during the reconciliation")
		}
		brokerVersion = sv
	}
	s.cp.BrokerServerVersion, s.brokerLost = brokerVersion, false

	repairs, dups := 0, 0
	v, err := s.st.Snapshot(ctx, s.filter(), func(r store.Record) error {
		e, err := decodeEntry(r)
		if err != nil {
			return err
		}
		k := key(e.typ, e.id)
		h, ok := have[k]
		if ok && h.done {
			dups++ // the same id in an earlier directory of the sink
			return nil
		}
		have[k] = held{done: true}
		if ok && h.hash == maphash.Bytes(seed, e.data) {
			return nil
		}
		repairs++
		return p.add(ctx, e.record(time.Time{}))
	})
	if err != nil {
		return fmt.Errorf("reconcile: %w", err)
	}
	if dups > 0 {
		s.log.Warn("records with the same id in several of the sink's directories; the databroker gets the first directory's", "duplicates", dups)
	}
	now := timestamppb.New(s.now())
	for k, h := range have {
		if h.done {
			continue
		}
		typ, id, _ := strings.Cut(k, "\x00")
		repairs++
		if err := p.add(ctx, &databroker.Record{Type: typ, Id: id, Data: &anypb.Any{TypeUrl: structTypeURL}, DeletedAt: now}); err != nil {
			return fmt.Errorf("reconcile: %w", err)
		}
	}
	if err := p.flush(ctx); err != nil {
		return fmt.Errorf("reconcile: %w", err)
	}
	s.cp.Version = max(s.cp.Version, v.Latest)
	s.advanced(s.cp.Version)
	if err := s.save(ctx, true); err != nil {
		return err
	}
	s.track.update(func(st *dirsyncv1.SinkStatus) {
		st.LastReconcile = timestamppb.New(s.now())
		st.LastReconcileRepairs = int64(repairs)
		st.LastError = ""
	})
	s.log.Info("reconciled", "record_version", v.Latest, "repairs", repairs)
	return nil
}

// readBroker reads the databroker's live records of type typ into have and returns its
// server version.
func (s *Sink) readBroker(ctx context.Context, typ string, seed maphash.Seed, have map[string]held) (uint64, error) {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := s.cfg.Client.SyncLatest(sctx, &databroker.SyncLatestRequest{Type: typ})
	if err != nil {
		return 0, describe(err)
	}
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return 0, errors.New("SyncLatest ended without versions")
		}
		if err != nil {
			return 0, describe(err)
		}
		if vs := resp.GetVersions(); vs != nil {
			return vs.GetServerVersion(), nil
		}
		r := resp.GetRecord()
		if r == nil || r.GetDeletedAt() != nil || r.GetType() != typ {
			continue
		}
		// Data the sink cannot read gets hash 0: it is rewritten (or deleted).
		var h uint64
		if c, err := canonical(typ, r.GetData()); err == nil {
			h = maphash.Bytes(seed, c)
		}
		have[key(typ, r.GetId())] = held{hash: h}
	}
}

// key is the map key of a databroker record.
func key(typ, id string) string { return typ + "\x00" + id }
