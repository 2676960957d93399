package memory

import (
	"context"
	"time"

	"github.com/dirsync/dirsync/store"
)

// AcquireLease implements store.Store.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	if err := store.CheckLease(name, holder, ttl); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(ctx); err != nil {
		return false, err
	}
	now := time.Now()
	if l, ok := s.leases[name]; ok && l.holder != holder && now.Before(l.expires) {
		return false, nil
	}
	s.leases[name] = lease{holder, now.Add(ttl)}
	return true, nil
}

// RenewLease implements store.Store.
func (s *Store) RenewLease(ctx context.Context, name, holder string, ttl time.Duration) error {
	if err := store.CheckLease(name, holder, ttl); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(ctx); err != nil {
		return err
	}
	now := time.Now()
	if l, ok := s.leases[name]; !ok || l.holder != holder || !now.Before(l.expires) {
		return store.ErrLeaseLost
	}
	s.leases[name] = lease{holder, now.Add(ttl)}
	return nil
}

// ReleaseLease implements store.Store.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	if err := store.CheckLease(name, holder, time.Second); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(ctx); err != nil {
		return err
	}
	if l, ok := s.leases[name]; ok && l.holder == holder {
		delete(s.leases, name)
	}
	return nil
}
