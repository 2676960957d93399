package syncer

import (
	"context"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store"
)

// progress is the providers.Progress of a directory's runs: live counters the status reads
// while a run goes on. reset starts a run.
type progress struct {
	requests, rateWaits, users, groups atomic.Int64
}

func (p *progress) Request()                  { p.requests.Add(1) }
func (p *progress) RateLimited(time.Duration) { p.rateWaits.Add(1) }
func (p *progress) Read(users, groups int) {
	p.users.Add(int64(users))
	p.groups.Add(int64(groups))
}

func (p *progress) reset() {
	p.requests.Store(0)
	p.rateWaits.Store(0)
	p.users.Store(0)
	p.groups.Store(0)
}

// snapshot returns a fresh copy of the status to report: the live one while this process
// holds the lease, else the one the holder saved in the store, else the live one (STANDBY or,
// before the first lease attempt, IDLE).
func (d *dirLoop) snapshot() *dirsyncv1.DirectoryStatus {
	if !d.leading.Load() {
		if st := d.s.stored(d.cfg.Name); st != nil {
			return st
		}
	}
	return d.local()
}

// inherit, called on taking the lease, continues from the status the previous holder saved
// (last run, results, failures), keeping this process's directory and provider names.
func (d *dirLoop) inherit() {
	d.s.forget()
	prev := d.s.stored(d.cfg.Name)
	if prev == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	prev.Directory, prev.Provider = d.status.Directory, d.status.Provider
	prev.Progress = nil
	d.status = prev
}

// local returns a fresh copy of this process's own status of the directory, with live
// progress while a run goes on.
func (d *dirLoop) local() *dirsyncv1.DirectoryStatus {
	d.mu.Lock()
	st := cloneStatus(d.status)
	d.mu.Unlock()
	if st.State == dirsyncv1.SyncState_SYNC_STATE_RUNNING {
		st.ProviderRequests = d.prog.requests.Load()
		st.RateLimitWaits = d.prog.rateWaits.Load()
		st.Progress = &dirsyncv1.SyncProgress{
			Requests:   st.ProviderRequests,
			UsersRead:  d.prog.users.Load(),
			GroupsRead: d.prog.groups.Load(),
		}
	}
	return st
}

// update changes the status under its lock.
func (d *dirLoop) update(fn func(*dirsyncv1.DirectoryStatus)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	fn(d.status)
}

// loadCounts sets the status's record counts from the store, so they are known before the
// first run (and on a standby process).
func (d *dirLoop) loadCounts(ctx context.Context) {
	var users, groups int64
	v, err := d.s.st.Snapshot(ctx, syncedFilter(d.cfg.Name), func(r store.Record) error {
		if r.Type == dirsyncv1.RecordType_RECORD_TYPE_USER {
			users++
		} else {
			groups++
		}
		return nil
	})
	if err != nil {
		if ctx.Err() == nil {
			d.log.Warn("cannot count the directory's records", "err", err)
		}
		return
	}
	d.update(func(st *dirsyncv1.DirectoryStatus) {
		st.Users, st.Groups, st.RecordVersion = users, groups, v.Latest
	})
}

func cloneStatus(st *dirsyncv1.DirectoryStatus) *dirsyncv1.DirectoryStatus {
	return proto.Clone(st).(*dirsyncv1.DirectoryStatus)
}

func ts(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t) }
