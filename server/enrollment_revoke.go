package server

import (
	"context"
	"errors"
	"log/slog"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store"
)

// revokeFollow keeps the rule "deleting or suspending a user revokes their unredeemed
// links": once the replica has loaded it tombstones the pending enrollments of every user
// that is missing or suspended (catching up on what happened while no server ran), then
// follows the user changes and, for each user tombstone or suspended user, tombstones that
// user's pending enrollments. When its position has been compacted away it sweeps the whole
// store again; on a store error it retries the same changes (see follower). It runs until
// ctx ends. Every server process runs it; a second revocation of the same enrollment is a
// no-op (deleting a missing key writes nothing).
func (e *enrollmentService) revokeFollow(ctx context.Context, bc *broadcaster, loaded <-chan struct{}, log *slog.Logger) {
	select {
	case <-loaded:
	case <-ctx.Done():
		return
	}
	f := follower{bc: bc, log: log, what: "enrollment: revoking the links of deleted or suspended users",
		filter: store.Filter{Types: []dirsyncv1.RecordType{dirsyncv1.RecordType_RECORD_TYPE_USER}},
		resync: func(ctx context.Context) (uint64, error) {
			// The sweep reads the store after v, so it covers every change up to v.Latest.
			v, err := e.store.Versions(ctx)
			if err != nil {
				return 0, err
			}
			return v.Latest, e.sweep(ctx)
		},
		apply: func(ctx context.Context, changes []store.Record, _ uint64) error {
			return e.revokeChanged(ctx, changes)
		},
	}
	f.run(ctx)
}

// revokeChanged revokes the pending links of the deleted and suspended users in changes,
// with one scan of the enrollments per batch however many users it names.
func (e *enrollmentService) revokeChanged(ctx context.Context, changes []store.Record) error {
	type userKey struct{ dir, id string }
	goneUsers := map[userKey]bool{}
	for _, c := range changes {
		rec, err := c.Decode()
		if err != nil {
			return err
		}
		if rec.GetDeleted() || rec.GetUser().GetState() == dirsyncv1.UserState_USER_STATE_SUSPENDED {
			goneUsers[userKey{rec.GetDirectory(), rec.GetId()}] = true
		}
	}
	if len(goneUsers) == 0 {
		return nil
	}
	return e.revokePending(ctx, "", func(dir, user string) (bool, error) { return goneUsers[userKey{dir, user}], nil })
}

// sweep revokes the pending links of every user the store does not hold or holds suspended.
func (e *enrollmentService) sweep(ctx context.Context) error {
	return e.revokePending(ctx, "", func(dir, user string) (bool, error) { return e.userGone(ctx, dir, user) })
}

// revokePending tombstones the pending enrollments of dir ("" for every directory) whose user
// is gone (as gone reports). gone is called after the scan, outside the snapshot.
func (e *enrollmentService) revokePending(ctx context.Context, dir string, gone func(dir, user string) (bool, error)) error {
	type key struct{ dir, id, user string }
	var pending []key
	f := store.Filter{Types: []dirsyncv1.RecordType{enrollmentType}}
	if dir != "" {
		f.Directories = []string{dir}
	}
	_, err := e.store.Snapshot(ctx, f, func(r store.Record) error {
		rec, err := r.Decode()
		if err != nil {
			return err
		}
		en := rec.GetEnrollment()
		if en.GetState() == dirsyncv1.EnrollmentState_ENROLLMENT_STATE_PENDING {
			pending = append(pending, key{rec.GetDirectory(), rec.GetId(), en.GetUserId()})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range pending {
		if ok, err := gone(k.dir, k.user); err != nil {
			return err
		} else if !ok {
			continue
		}
		err := e.locked(ctx, k.dir, k.id, func() error {
			en, err := e.get(ctx, k.dir, k.id)
			if errors.Is(err, store.ErrNotFound) || (err == nil && en.GetState() != dirsyncv1.EnrollmentState_ENROLLMENT_STATE_PENDING) {
				return nil // revoked or redeemed meanwhile
			} else if err != nil {
				return err
			}
			_, err = e.tombstone(ctx, k.dir, k.id)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// userGone reports whether the store lacks the user or holds it suspended. It reads the
// store, not the replica, which is empty while it reloads.
func (e *enrollmentService) userGone(ctx context.Context, dir, user string) (bool, error) {
	r, err := e.store.Get(ctx, dirsyncv1.RecordType_RECORD_TYPE_USER, dir, user)
	if errors.Is(err, store.ErrNotFound) {
		return true, nil
	} else if err != nil {
		return false, err
	}
	rec, err := r.Decode()
	if err != nil {
		return false, err
	}
	return rec.GetUser().GetState() == dirsyncv1.UserState_USER_STATE_SUSPENDED, nil
}
