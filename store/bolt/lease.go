package bolt

import (
	"context"
	"encoding/binary"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/dirsync/dirsync/store"
)

// A lease is stored as its end (unix nanoseconds) followed by its holder. Lease expiry uses
// the wall clock, since it survives a restart.

// leaseWrite runs fn on the leases bucket in a read-write transaction. fn gets the lease's
// holder and end when it is held and unexpired at now, or "" otherwise.
func (s *Store) leaseWrite(ctx context.Context, name string, fn func(b *bbolt.Bucket, now int64, holder string) error) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	return fail(s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketLeases)
		now := time.Now().UnixNano()
		holder := ""
		if v := b.Get([]byte(name)); len(v) >= u64 && now < int64(binary.BigEndian.Uint64(v)) {
			holder = string(v[u64:])
		}
		return fn(b, now, holder)
	}))
}

func putLease(b *bbolt.Bucket, name, holder string, end int64) error {
	v := binary.BigEndian.AppendUint64(make([]byte, 0, u64+len(holder)), uint64(end))
	return b.Put([]byte(name), append(v, holder...))
}

// AcquireLease implements store.Store.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	if err := store.CheckLease(name, holder, ttl); err != nil {
		return false, err
	}
	ok := false
	err := s.leaseWrite(ctx, name, func(b *bbolt.Bucket, now int64, current string) error {
		if current != "" && current != holder {
			return nil
		}
		ok = true
		return putLease(b, name, holder, now+int64(ttl))
	})
	return ok && err == nil, err
}

// RenewLease implements store.Store.
func (s *Store) RenewLease(ctx context.Context, name, holder string, ttl time.Duration) error {
	if err := store.CheckLease(name, holder, ttl); err != nil {
		return err
	}
	return s.leaseWrite(ctx, name, func(b *bbolt.Bucket, now int64, current string) error {
		if current != holder {
			return store.ErrLeaseLost
		}
		return putLease(b, name, holder, now+int64(ttl))
	})
}

// ReleaseLease implements store.Store.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	if err := store.CheckLease(name, holder, time.Second); err != nil {
		return err
	}
	return s.leaseWrite(ctx, name, func(b *bbolt.Bucket, _ int64, current string) error {
		if current != holder {
			return nil
		}
		return b.Delete([]byte(name))
	})
}
