package memory

import (
	"bytes"
	"context"
	"fmt"

	"github.com/dirsync/dirsync/store"
)

// PutStatus implements store.Store.
func (s *Store) PutStatus(ctx context.Context, directory string, status []byte) error {
	if directory == "" {
		return fmt.Errorf("%w: status of an empty directory name", store.ErrInvalid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(ctx); err != nil {
		return err
	}
	if s.statuses == nil {
		s.statuses = make(map[string][]byte)
	}
	s.statuses[directory] = append([]byte{}, status...)
	return nil
}

// Statuses implements store.Store.
func (s *Store) Statuses(ctx context.Context) (map[string][]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.ready(ctx); err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(s.statuses))
	for d, b := range s.statuses {
		out[d] = bytes.Clone(b)
	}
	return out, nil
}
