package pomerium

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/dirsync/dirsync/store"
)

// checkpoint is how far the sink has pushed. It is saved in the store as the provider cursor
// of a pseudo-directory, "sink:" plus the sink's name: the store keeps a cursor per
// directory name and writes it without consuming a record version, and configured
// directory names cannot hold ':', so the key never meets a real directory. Only the lease
// holder writes it.
type checkpoint struct {
	// ServerVersion is the store's server version when the checkpoint was written; a
	// checkpoint of another store is void.
	ServerVersion uint64 `json:"server_version"`
	// Version: every change up to it is in the databroker (0: nothing pushed yet).
	Version uint64 `json:"record_version"`
	// BrokerServerVersion is the databroker's server version the changes went to; when
	// the databroker answers with another one it has lost them.
	BrokerServerVersion uint64 `json:"databroker_server_version"`
}

// checkpointKey returns the pseudo-directory holding the named sink's checkpoint.
func checkpointKey(sink string) string { return "sink:" + sink }

// loadCheckpoint returns the saved checkpoint, or a zero one when none is saved.
func loadCheckpoint(ctx context.Context, st store.Store, sink string) (checkpoint, error) {
	var cp checkpoint
	raw, err := st.Cursor(ctx, checkpointKey(sink))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return cp, nil
	case err != nil:
		return cp, fmt.Errorf("read the checkpoint of sink %q: %w", sink, err)
	}
	if err := json.Unmarshal(raw, &cp); err != nil {
		return checkpoint{}, fmt.Errorf("decode the checkpoint of sink %q: %w", sink, err)
	}
	return cp, nil
}

// saveCheckpoint replaces the saved checkpoint with cp.
func saveCheckpoint(ctx context.Context, st store.Store, sink string, cp checkpoint) error {
	raw, err := json.Marshal(cp)
	if err != nil {
		return err
	}
	if _, err := st.Apply(ctx, store.Batch{Directory: checkpointKey(sink), Cursor: raw, SetCursor: true}); err != nil {
		return fmt.Errorf("save the checkpoint of sink %q: %w", sink, err)
	}
	return nil
}
