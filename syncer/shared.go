package syncer

import (
	"context"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// Statuses in the store make GetSyncStatus agree on every replica: the lease holder of a
// directory writes its status there whenever the state changes (a lease taken, a run started
// or ended) and once a second while a run goes on (its progress), and a process that does
// not hold the lease answers with that stored status as the holder wrote it. A holder writes only under its lease context, which ends before the
// lease can expire, so a former holder does not overwrite its successor's status (short of a
// write already in flight when its lease ended).

// statusCacheTTL is how long a standby process reuses the stored statuses it read, and
// progressInterval how often a holder saves its status while a run goes on.
const (
	statusCacheTTL   = time.Second
	progressInterval = time.Second
)

// sharedStatuses caches the statuses read from the store.
type sharedStatuses struct {
	mu      sync.Mutex
	fetched time.Time // real clock; zero: never read
	byDir   map[string]*dirsyncv1.DirectoryStatus
}

// statusBytes is a status's stored form: deterministic protobuf bytes.
func statusBytes(st *dirsyncv1.DirectoryStatus) ([]byte, error) {
	return proto.MarshalOptions{Deterministic: true}.Marshal(st)
}

// publish writes st as the directory's status to the store under ctx (the lease context).
// A failure is logged, not returned: the status is advisory and the next change rewrites it.
func (d *dirLoop) publish(ctx context.Context, st *dirsyncv1.DirectoryStatus) {
	b, err := statusBytes(st)
	if err == nil {
		wctx, cancel := context.WithTimeout(ctx, d.s.ttl/3)
		err = d.s.st.PutStatus(wctx, d.cfg.Name, b)
		cancel()
	}
	if err != nil && ctx.Err() == nil {
		d.log.Warn("cannot save the directory's status to the store", "err", err)
	}
}

// publishProgress saves the status every progressInterval (for its live progress) until
// stop is called; stop waits for a save in flight, so none lands after the caller's next.
func (d *dirLoop) publishProgress(ctx context.Context) (stop func()) {
	pctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(progressInterval)
		defer tick.Stop()
		for {
			select {
			case <-pctx.Done():
				return
			case <-tick.C:
				d.publish(pctx, d.local())
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// stored returns (a copy of) the directory's status as its lease holder last wrote it, or
// nil when none is stored or the store cannot be read. It reads the store at most once per
// statusCacheTTL for all directories.
func (s *Syncer) stored(dir string) *dirsyncv1.DirectoryStatus {
	c := &s.shared
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fetched.IsZero() || time.Since(c.fetched) >= statusCacheTTL {
		ctx, cancel := context.WithTimeout(context.Background(), s.ttl/3)
		raw, err := s.st.Statuses(ctx)
		cancel()
		c.fetched = time.Now() // also after a failure, so a failing store is not hammered
		if err != nil {
			s.log.Warn("cannot read the directories' statuses from the store", "err", err)
		} else {
			c.byDir = decodeStatuses(raw, s.log.Warn)
		}
	}
	if st := c.byDir[dir]; st != nil {
		return cloneStatus(st)
	}
	return nil
}

// decodeStatuses decodes stored statuses, skipping (and reporting) undecodable ones.
func decodeStatuses(raw map[string][]byte, warn func(string, ...any)) map[string]*dirsyncv1.DirectoryStatus {
	out := make(map[string]*dirsyncv1.DirectoryStatus, len(raw))
	for dir, b := range raw {
		st := new(dirsyncv1.DirectoryStatus)
		if err := proto.Unmarshal(b, st); err != nil {
			warn("cannot decode a stored directory status", "directory", dir, "err", err)
			continue
		}
		out[dir] = st
	}
	return out
}

// forget drops the cached statuses, so the next stored call reads the store.
func (s *Syncer) forget() {
	s.shared.mu.Lock()
	s.shared.fetched = time.Time{}
	s.shared.mu.Unlock()
}
