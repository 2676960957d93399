package syncer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/types/known/durationpb"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/store"
)

// outcome is how a run ended: the wait before the next one, the store's record_version
// after it and the status, for the triggers that waited for it.
type outcome struct {
	wait    time.Duration
	version uint64
	status  *dirsyncv1.DirectoryStatus
}

// report is what a successful or blocked attempt found and did.
type report struct {
	unchanged     bool // the provider reported no change: nothing was read or written
	full          bool
	forced        bool // applied past the mass-deletion guard
	users, groups int  // live records after the run (before it, for a blocked run)
	changes       int  // records written
	version       uint64
}

// blockedError is the refusal of the mass-deletion guard.
type blockedError struct {
	deletes, total int
	fraction       float64
}

func (e *blockedError) Error() string {
	return fmt.Sprintf("the sync would delete %d of %d records (%.0f%%), more than max_delete_fraction %g allows; "+
		"nothing was written; TriggerSync with force=true applies it",
		e.deletes, e.total, 100*float64(e.deletes)/float64(e.total), e.fraction)
}

// runOnce runs one sync of the directory under ctx (the lease's context) and records its
// outcome in the status. force lets it past the mass-deletion guard.
func (d *dirLoop) runOnce(ctx context.Context, force bool) outcome {
	runID := newRunID()
	ctx, span := d.s.in.tracer.Start(ctx, "sync.run", trace.WithAttributes(attribute.String("directory", d.cfg.Name),
		attribute.String("run_id", runID), attribute.Bool("force", force)))
	defer span.End()
	log := d.log.With("run_id", runID)
	ctx = context.WithValue(ctx, runLogKey{}, log)
	start := d.s.now()
	d.prog.reset()
	d.update(func(st *dirsyncv1.DirectoryStatus) {
		st.State = dirsyncv1.SyncState_SYNC_STATE_RUNNING
		st.LastStart = ts(start)
		st.NextRun = nil
	})
	d.publish(ctx, d.local())
	log.InfoContext(ctx, "sync started", "force", force)
	stopProgress := d.publishProgress(ctx)
	rep, err := d.attempt(ctx, start, force)
	stopProgress()
	end := d.s.now()
	version := rep.version
	if version == 0 {
		version = d.latest(ctx)
	}

	var blocked *blockedError
	isBlocked := errors.As(err, &blocked)
	var wait time.Duration
	switch {
	case err == nil:
		wait = d.successWait()
		d.s.in.ranOnce(ctx, d.cfg.Name, "success", end.Sub(start), rep.changes)
		span.SetAttributes(attribute.Int("changes", rep.changes), attribute.Bool("full", rep.full))
		log.InfoContext(ctx, "sync succeeded", "full", rep.full, "unchanged", rep.unchanged, "changes", rep.changes,
			"users", rep.users, "groups", rep.groups, "record_version", version, "forced", rep.forced,
			"duration", end.Sub(start))
	case isBlocked:
		wait = d.successWait()
		d.s.in.ranOnce(ctx, d.cfg.Name, "blocked", end.Sub(start), 0)
		span.SetStatus(codes.Error, "blocked by the mass-deletion guard")
		log.WarnContext(ctx, "sync blocked by the mass-deletion guard", "err", err, "next_run", end.Add(wait))
	default:
		wait = d.failureWait(err, end)
		d.s.in.ranOnce(ctx, d.cfg.Name, "failure", end.Sub(start), 0)
		span.SetStatus(codes.Error, err.Error())
		log.ErrorContext(ctx, "sync failed", "err", err, "next_run", end.Add(wait))
	}

	d.mu.Lock()
	defer d.mu.Unlock()
	st := d.status
	st.LastEnd = ts(end)
	st.LastDuration = durationpb.New(end.Sub(start))
	st.NextRun = ts(end.Add(wait))
	st.ProviderRequests = d.prog.requests.Load()
	st.RateLimitWaits = d.prog.rateWaits.Load()
	st.Progress = nil
	st.LastForced = false
	st.LastFull = rep.full
	switch {
	case err == nil:
		st.State = dirsyncv1.SyncState_SYNC_STATE_IDLE
		st.LastResult = dirsyncv1.SyncResult_SYNC_RESULT_SUCCESS
		st.LastError = ""
		st.ConsecutiveFailures = 0
		st.LastForced = rep.forced
		st.LastChanges = int64(rep.changes)
		st.RecordVersion = version
		st.LastSuccess = ts(end)
		if !rep.unchanged {
			st.Users, st.Groups = int64(rep.users), int64(rep.groups)
		}
	case isBlocked:
		st.State = dirsyncv1.SyncState_SYNC_STATE_BLOCKED
		st.LastResult = dirsyncv1.SyncResult_SYNC_RESULT_BLOCKED
		st.LastError = err.Error()
		st.Users, st.Groups = int64(rep.users), int64(rep.groups)
	default:
		st.State = dirsyncv1.SyncState_SYNC_STATE_BACKING_OFF
		st.LastResult = dirsyncv1.SyncResult_SYNC_RESULT_FAILURE
		st.LastError = err.Error()
		st.ConsecutiveFailures++
	}
	return outcome{wait: wait, version: version, status: cloneStatus(st)}
}

// latest returns the store's record_version, or 0 if it cannot be read.
func (d *dirLoop) latest(ctx context.Context) uint64 {
	v, err := d.s.st.Versions(ctx)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Warn("cannot read the store's versions", "err", err)
		}
		return 0
	}
	return v.Latest
}

// attempt is one run bounded by Polling.Timeout, with the provider reporting progress to
// the status. A context that ends makes its cause (timeout, lease lost) part of the error.
func (d *dirLoop) attempt(ctx context.Context, start time.Time, force bool) (report, error) {
	timeout := d.cfg.Polling.Timeout
	actx, cancel := context.WithTimeoutCause(ctx, timeout, fmt.Errorf("sync attempt timed out after %v", timeout))
	defer cancel()
	pctx := providers.WithStoredUsers(providers.WithProgress(actx, &d.prog), d.storedUsers)
	rep, err := d.sync(pctx, start, force)
	if err != nil {
		if cause := context.Cause(actx); cause != nil && !errors.Is(err, cause) {
			err = fmt.Errorf("%w: %w", cause, err)
		}
	}
	return rep, err
}

// sync reads the provider, builds the wanted state, diffs it against the store, applies the
// guard and writes the changes with the new cursor in one batch. It writes nothing unless
// it returns a nil error.
func (d *dirLoop) sync(ctx context.Context, start time.Time, force bool) (report, error) {
	dir := d.cfg.Name
	env, raw, err := d.loadCursor(ctx)
	if err != nil {
		return report{}, err
	}
	res, err := d.read(ctx, env, start)
	if err != nil {
		return report{}, err
	}
	if res.Unchanged {
		return report{unchanged: true}, nil
	}
	var known int64
	d.update(func(st *dirsyncv1.DirectoryStatus) { known = st.Users + st.Groups })
	cur, err := loadStored(ctx, d.s.st, dir, int(known))
	if err != nil {
		return report{}, err
	}
	var want state
	if res.Full {
		want, err = fullState(res)
	} else {
		want, err = deltaState(cur, res)
	}
	if err != nil {
		return report{}, err
	}
	want.normalize(dir)
	ch, err := diff(dir, want, cur)
	if err != nil {
		return report{}, err
	}
	rep := report{full: res.Full, users: len(want.users), groups: len(want.groups), changes: len(ch.records)}
	if total := cur.len(); total > 0 && float64(ch.deletes) > d.cfg.Safety.MaxDeleteFraction*float64(total) {
		guard := &blockedError{deletes: ch.deletes, total: total, fraction: d.cfg.Safety.MaxDeleteFraction}
		if !force {
			return report{full: res.Full, users: cur.users, groups: cur.groups}, guard
		}
		runLog(ctx, d.log).WarnContext(ctx, "forced past the mass-deletion guard", "guard", guard.Error())
		rep.forced = true
	}

	next := envelope{lastFull: env.lastFull, provider: nonEmpty(res.Cursor)}
	if res.Full {
		next.lastFull = start
	}
	cursor := next.encode()
	if len(ch.records) == 0 && bytes.Equal(cursor, raw) {
		return rep, nil
	}
	actx, span := d.s.in.tracer.Start(ctx, "store.apply", trace.WithAttributes(attribute.Int("records", len(ch.records))))
	applyStart := time.Now()
	v, err := d.s.st.Apply(actx, store.Batch{Directory: dir, Records: ch.records, Cursor: cursor, SetCursor: true})
	d.s.in.applied(ctx, dir, time.Since(applyStart))
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
	if err != nil {
		return report{}, fmt.Errorf("write changes: %w", err)
	}
	rep.version = v.Latest
	return rep, nil
}

// storedUsers reads the directory's live users from the store (providers.StoredUsers).
func (d *dirLoop) storedUsers(ctx context.Context) ([]*dirsyncv1.User, error) {
	cur, err := loadStored(ctx, d.s.st, d.cfg.Name, 0)
	if err != nil {
		return nil, err
	}
	s, err := cur.decode()
	if err != nil {
		return nil, err
	}
	return slices.Collect(maps.Values(s.users)), nil
}

// loadCursor returns the directory's saved cursor, decoded and raw (nil when none).
func (d *dirLoop) loadCursor(ctx context.Context) (envelope, []byte, error) {
	raw, err := d.s.st.Cursor(ctx, d.cfg.Name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return envelope{}, nil, nil
	case err != nil:
		return envelope{}, nil, fmt.Errorf("read saved cursor: %w", err)
	}
	return decodeEnvelope(raw), raw, nil
}

// read calls the provider: with the saved cursor, or nil when a full sync is due (never
// run, or older than FullSyncInterval) or the provider reports the cursor expired.
func (d *dirLoop) read(ctx context.Context, env envelope, start time.Time) (*providers.Result, error) {
	cursor := env.provider
	if cursor != nil && start.Sub(env.lastFull) >= d.cfg.Polling.FullSyncInterval {
		runLog(ctx, d.log).InfoContext(ctx, "full sync due", "last_full", env.lastFull)
		cursor = nil
	}
	res, err := d.cfg.Source.Sync(ctx, cursor)
	if cursor != nil && errors.Is(err, providers.ErrCursorExpired) {
		runLog(ctx, d.log).InfoContext(ctx, "provider cursor expired; running a full sync")
		cursor = nil
		res, err = d.cfg.Source.Sync(ctx, nil)
	}
	switch {
	case err != nil:
		return nil, fmt.Errorf("read directory: %w", err)
	case res == nil:
		return nil, errors.New("read directory: provider returned no result")
	case cursor == nil && !res.Full:
		return nil, errors.New("read directory: provider returned no full snapshot for a sync without cursor")
	}
	return res, nil
}
