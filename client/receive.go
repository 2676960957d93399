package client

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// errIdle: a stream delivered nothing for longer than Options.IdleTimeout.
var errIdle = errors.New("stream idle")

// errStreamClosed: a reader's channel closed without an error (readStream never does that).
var errStreamClosed = errors.New("stream closed")

// received is one message of a stream, or the error that ended it.
type received[T any] struct {
	msg T
	err error
}

// reader reads one server stream in its own goroutine, so that decoding the next message
// overlaps applying the previous one.
type reader[T any] struct {
	ch     <-chan received[T]
	cancel context.CancelFunc
}

// readStream starts reading with recv from a stream whose context cancel ends. Messages come
// out of r.ch in order, at most readAhead ahead of the consumer; the last value carries the
// error that ended the stream (io.EOF at its end), then r.ch is closed. When recv waits
// longer than idle for a message, the stream is canceled and the error wraps errIdle. seen,
// when not nil, is called on the reading goroutine with each message as it arrives. The
// consumer must call stop before it returns.
func readStream[T any](recv func() (T, error), cancel context.CancelFunc, idle time.Duration, seen func(T)) reader[T] {
	ch := make(chan received[T], readAhead)
	go func() {
		defer close(ch)
		var idled atomic.Bool
		timer := time.AfterFunc(idle, func() { idled.Store(true); cancel() })
		defer timer.Stop()
		for {
			timer.Reset(idle)
			msg, err := recv()
			timer.Stop()
			if err != nil {
				if idled.Load() {
					err = fmt.Errorf("%w: nothing received for %s", errIdle, idle)
				}
				ch <- received[T]{err: err}
				return
			}
			if seen != nil {
				seen(msg)
			}
			ch <- received[T]{msg: msg}
		}
	}()
	return reader[T]{ch: ch, cancel: cancel}
}

// stop cancels the stream and waits for the reading goroutine to end, discarding what it
// had read ahead.
func (r reader[T]) stop() {
	r.cancel()
	for range r.ch {
	}
}
