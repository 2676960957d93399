package pomerium

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v4"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/dirsync/dirsync/gen/databroker"
)

// MaxPutBytes is the limit on the encoded size of one PutRequest: each is below 1 MiB.
const MaxPutBytes = 1<<20 - 1

// putter collects records into PutRequests of at most max encoded bytes and sends each with
// bounded retries. A full request is sent in the background while the next one fills (one
// in flight at most); flush returns once every record added is stored. It is not safe for
// concurrent use; drain must be called before it is dropped.
type putter struct {
	client databroker.DataBrokerServiceClient
	max    int
	// attempts bounds the tries of one Put; timeout bounds each.
	attempts uint64
	timeout  time.Duration
	// sent is called, on the putter's goroutine, after each successful Put with the
	// records it carried and the databroker's server version.
	sent func(n int, serverVersion uint64)

	recs     []*databroker.Record
	size     int
	inflight chan putResult // the Put in flight; nil when none
}

type putResult struct {
	n             int
	serverVersion uint64
	err           error
}

// add queues r, first sending the queued records if r would take the request over max. A
// record bigger than max on its own is sent alone (the databroker may refuse it). It
// returns the error of the Put in flight, if that failed.
func (p *putter) add(ctx context.Context, r *databroker.Record) error {
	n := proto.Size(r)
	n += protowire.SizeTag(1) + protowire.SizeVarint(uint64(n)) // its place in PutRequest.records
	if len(p.recs) > 0 && p.size+n > p.max {
		if err := p.start(ctx); err != nil {
			return err
		}
	}
	p.recs = append(p.recs, r)
	p.size += n
	return nil
}

// flush sends the queued records and waits until every record added so far is stored.
func (p *putter) flush(ctx context.Context) error {
	if len(p.recs) > 0 {
		if err := p.start(ctx); err != nil {
			return err
		}
	}
	return p.wait()
}

// drain waits for the Put in flight, if any, ignoring its outcome, and drops the queue, so
// that nothing of an abandoned session reaches the databroker later.
func (p *putter) drain() {
	_ = p.wait()
	p.recs, p.size = nil, 0
}

// start waits for the Put in flight, then sends the queued records in the background.
func (p *putter) start(ctx context.Context) error {
	if err := p.wait(); err != nil {
		return err
	}
	recs := p.recs
	p.recs, p.size = make([]*databroker.Record, 0, len(recs)), 0
	done := make(chan putResult, 1)
	p.inflight = done
	go func() {
		sv, err := p.send(ctx, recs)
		done <- putResult{len(recs), sv, err}
	}()
	return nil
}

// wait waits for the Put in flight, if any, and returns its error.
func (p *putter) wait() error {
	if p.inflight == nil {
		return nil
	}
	res := <-p.inflight
	p.inflight = nil
	if res.err != nil {
		return res.err
	}
	p.sent(res.n, res.serverVersion)
	return nil
}

// send Puts recs with bounded retries and returns the databroker's server version.
func (p *putter) send(ctx context.Context, recs []*databroker.Record) (uint64, error) {
	req := &databroker.PutRequest{Records: recs}
	var resp *databroker.PutResponse
	op := func() error {
		actx, cancel := context.WithTimeout(ctx, p.timeout)
		defer cancel()
		var err error
		resp, err = p.client.Put(actx, req)
		if err != nil && !retryable(err) {
			return backoff.Permanent(err)
		}
		return err
	}
	b := backoff.NewExponentialBackOff(backoff.WithInitialInterval(100*time.Millisecond), backoff.WithMaxInterval(5*time.Second))
	if err := backoff.Retry(op, backoff.WithContext(backoff.WithMaxRetries(b, p.attempts-1), ctx)); err != nil {
		return 0, fmt.Errorf("databroker Put of %d records: %w", len(recs), describe(err))
	}
	return resp.GetServerVersion(), nil
}

// retryable reports whether a failed call may succeed when repeated.
func retryable(err error) bool {
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded, codes.Aborted, codes.Internal, codes.Unknown:
		return true
	}
	return false
}

// describe adds a hint to the errors an operator must act on.
func describe(err error) error {
	switch status.Code(err) {
	case codes.Unauthenticated, codes.PermissionDenied:
		return fmt.Errorf("%w (is shared_secret Pomerium's shared_secret?)", err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w (is the databroker reachable?)", err)
	}
	return err
}
