package client

import (
	"fmt"
	"log/slog"
	"time"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// Options configure a Client. Zero values take the defaults.
type Options struct {
	// Directories, when not empty, keeps only the records of these directories (the
	// server filters). Names must not be empty.
	Directories []string
	// Types, when not empty, keeps only records of these types (the server filters).
	// RECORD_TYPE_UNSPECIFIED is rejected.
	Types []dirsyncv1.RecordType
	// OnChange, when set, is called for every change the client applies; see Change for the
	// contract. It runs on the client's goroutine and must return quickly.
	OnChange func(Change)
	// Log receives the client's connection and resync events (default: discarded).
	Log *slog.Logger
	// MinBackoff and MaxBackoff bound the exponential wait between reconnection attempts
	// (defaults 100ms and 10s). The wait starts again from MinBackoff once a stream
	// delivers a message.
	MinBackoff, MaxBackoff time.Duration
	// IdleTimeout ends a stream that delivered nothing for this long and reconnects
	// (default 1m). The server sends a checkpoint on an idle Sync stream every heartbeat
	// (10s by default), so a longer silence means a dead peer. It must be well above the
	// server's heartbeat.
	IdleTimeout time.Duration
}

const (
	defaultMinBackoff  = 100 * time.Millisecond
	defaultMaxBackoff  = 10 * time.Second
	defaultIdleTimeout = time.Minute
	// readAhead is how many received messages may wait to be applied: enough to decode while
	// the previous batch is applied, bounded so memory does not grow with a slow OnChange.
	readAhead = 8
)

func (o *Options) defaults() {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = defaultMinBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = defaultMaxBackoff
	}
	o.MaxBackoff = max(o.MaxBackoff, o.MinBackoff)
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = defaultIdleTimeout
	}
}

// validate rejects filters the server would reject, so that Run fails at once.
func (o *Options) validate() error {
	for _, t := range o.Types {
		if _, known := dirsyncv1.RecordType_name[int32(t)]; !known || t == dirsyncv1.RecordType_RECORD_TYPE_UNSPECIFIED {
			return fmt.Errorf("client: Options.Types: unknown record type %d", t)
		}
	}
	for _, d := range o.Directories {
		if d == "" {
			return fmt.Errorf("client: Options.Directories: empty directory name")
		}
	}
	return nil
}
