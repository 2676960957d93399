package pomerium

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/cenkalti/backoff/v4"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"

	"github.com/dirsync/dirsync/gen/databroker"
	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store"
)

// Config configures a Sink. Zero fields take their defaults.
type Config struct {
	// Name identifies the sink: its lease, checkpoint, status and metrics. Required.
	Name string
	// Directories whose users and groups the sink pushes. Required. Ids must be unique
	// across them (Pomerium keys directory records by id alone); should two directories
	// hold the same id, reconciliation keeps the record of the directory whose name sorts
	// first.
	Directories []string
	// Client is the databroker (see Dial). Required.
	Client databroker.DataBrokerServiceClient
	// ReconcileInterval is the time between reconciliations (default 1h).
	ReconcileInterval time.Duration
	// LeaseTTL is how long the sink's lease lasts unrenewed (default 30s); a standby replica
	// retries every third of it.
	LeaseTTL time.Duration
	// Holder identifies this process as a lease holder (default: host name and pid).
	Holder string
	// Log receives the sink's logs (default: discarded).
	Log *slog.Logger
	// MaxPutBytes bounds the encoded size of one PutRequest (default and maximum
	// MaxPutBytes).
	MaxPutBytes int
	// PutAttempts bounds the tries of one Put (default 5) and PutTimeout each try (default
	// 30s).
	PutAttempts uint64
	PutTimeout  time.Duration
	// ChangesBatch is how many changes are read from the store at once (default 1000); the
	// checkpoint is saved after each such batch that pushed something.
	ChangesBatch int
	// RetryMax caps the wait between failed attempts (default 1m).
	RetryMax time.Duration
	// MeterProvider receives the sink's metrics (default: the global one).
	MeterProvider metric.MeterProvider
}

func (c *Config) defaults() {
	if c.ReconcileInterval <= 0 {
		c.ReconcileInterval = time.Hour
	}
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = 30 * time.Second
	}
	if c.Holder == "" {
		host, _ := os.Hostname()
		c.Holder = fmt.Sprintf("%s/%d", host, os.Getpid())
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.MaxPutBytes <= 0 || c.MaxPutBytes > MaxPutBytes {
		c.MaxPutBytes = MaxPutBytes
	}
	if c.PutAttempts == 0 {
		c.PutAttempts = 5
	}
	if c.PutTimeout <= 0 {
		c.PutTimeout = 30 * time.Second
	}
	if c.ChangesBatch <= 0 {
		c.ChangesBatch = 1000
	}
	if c.RetryMax <= 0 {
		c.RetryMax = time.Minute
	}
	if c.MeterProvider == nil {
		c.MeterProvider = otel.GetMeterProvider()
	}
}

// checkpointEvery is how often the checkpoint is saved while only changes of other
// directories pass by.
const checkpointEvery = 10 * time.Second

// Sink pushes the users and groups of its directories into a Pomerium databroker. Run runs
// it; Status reports on it from any goroutine.
type Sink struct {
	st      store.Store
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	track   tracker
	metrics metrics

	// State of the running session, owned by Run's goroutine.
	cp         checkpoint
	savedAt    time.Time
	brokerLost bool // a Put answered with another databroker server version
}

// New returns the sink of st described by cfg. It does nothing until Run.
func New(st store.Store, cfg Config) (*Sink, error) {
	cfg.defaults()
	switch {
	case cfg.Name == "":
		return nil, errors.New("pomerium sink: no name")
	case len(cfg.Directories) == 0:
		return nil, fmt.Errorf("pomerium sink %q: no directories", cfg.Name)
	case cfg.Client == nil:
		return nil, fmt.Errorf("pomerium sink %q: no databroker client", cfg.Name)
	}
	s := &Sink{st: st, cfg: cfg, log: cfg.Log.With("sink", cfg.Name), now: time.Now}
	s.track.st = &dirsyncv1.SinkStatus{Name: cfg.Name, Type: SinkType, Directories: slices.Clone(cfg.Directories),
		State: dirsyncv1.SinkState_SINK_STATE_STANDBY}
	s.newMetrics()
	return s, nil
}

// Run runs the sink until ctx ends: it takes the sink's lease (waiting while another
// replica holds it) and, while it holds it, pushes.
func (s *Sink) Run(ctx context.Context) {
	defer func() {
		if s.metrics.reg != nil {
			_ = s.metrics.reg.Unregister()
		}
	}()
	for ctx.Err() == nil {
		start := time.Now()
		ok, err := s.st.AcquireLease(ctx, s.leaseName(), s.cfg.Holder, s.cfg.LeaseTTL)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			s.log.Warn("cannot take the sink's lease", "err", err)
		case ok:
			s.log.Info("sink lease taken; pushing", "directories", s.cfg.Directories)
			lctx, release := s.holdLease(ctx, start)
			s.lead(lctx)
			release()
			s.track.mu.Lock()
			s.track.leading = false
			s.track.mu.Unlock()
			if ctx.Err() == nil {
				s.log.Warn("sink lease lost", "cause", context.Cause(lctx))
			}
			s.setState(dirsyncv1.SinkState_SINK_STATE_STANDBY)
		default:
			s.setState(dirsyncv1.SinkState_SINK_STATE_STANDBY)
		}
		select {
		case <-time.After(s.cfg.LeaseTTL / 3):
		case <-ctx.Done():
		}
	}
}

// lead pushes until ctx ends, starting a new session after each failure with an
// exponentially growing wait.
func (s *Sink) lead(ctx context.Context) {
	s.track.mu.Lock()
	s.track.leading = true
	s.track.mu.Unlock()
	bo := backoff.NewExponentialBackOff(backoff.WithInitialInterval(time.Second), backoff.WithMaxInterval(s.cfg.RetryMax),
		backoff.WithMaxElapsedTime(0))
	for {
		err := s.session(ctx, bo)
		if ctx.Err() != nil {
			return
		}
		wait := bo.NextBackOff()
		s.log.Error("sink failed; retrying", "err", err, "retry_in", wait)
		s.failed(ctx, err)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return
		}
	}
}

// session resumes from the saved checkpoint, reconciles, then follows the change log,
// reconciling again every ReconcileInterval and whenever the databroker has lost its data.
// It returns the first error (after the put's own retries); the next session starts over
// from the checkpoint with a reconciliation, so a databroker that restarted meanwhile is
// refilled.
func (s *Sink) session(ctx context.Context, bo backoff.BackOff) error {
	v, err := s.st.Versions(ctx)
	if err != nil {
		return fmt.Errorf("read store versions: %w", err)
	}
	if s.cp, err = loadCheckpoint(ctx, s.st, s.cfg.Name); err != nil {
		return err
	}
	if s.cp.ServerVersion != v.ServerVersion {
		s.cp = checkpoint{ServerVersion: v.ServerVersion}
	}
	s.advanced(s.cp.Version)
	p := s.newPutter()
	defer p.drain()
	if s.cp.Version > 0 {
		s.log.Info("resuming from the checkpoint", "record_version", s.cp.Version)
		s.setState(dirsyncv1.SinkState_SINK_STATE_FOLLOWING)
		if err := s.catchUp(ctx, p); err != nil && !errors.Is(err, store.ErrVersionTooOld) {
			return err
		}
	}
	for {
		if err := s.reconcile(ctx, p); err != nil {
			return err
		}
		bo.Reset()
		next := time.NewTimer(s.cfg.ReconcileInterval)
		err := s.follow(ctx, p, next.C)
		next.Stop()
		if err != nil && !errors.Is(err, errReconcile) {
			return err
		}
	}
}

// errReconcile ends follow when a reconciliation is due.
var errReconcile = errors.New("reconciliation due")

// follow pushes changes as they commit until the reconcile timer fires, the databroker turns
// out to have lost its data, the change log no longer reaches back to the checkpoint
// (errReconcile for all three), or an error.
func (s *Sink) follow(ctx context.Context, p *putter, reconcile <-chan time.Time) error {
	s.setState(dirsyncv1.SinkState_SINK_STATE_FOLLOWING)
	for {
		wake := s.st.Changed()
		err := s.catchUp(ctx, p)
		switch {
		case errors.Is(err, store.ErrVersionTooOld):
			s.log.Warn("the change log no longer reaches back to the checkpoint; reconciling", "checkpoint", s.cp.Version)
			return errReconcile
		case err != nil:
			return err
		case s.brokerLost:
			s.log.Warn("the databroker's server_version changed (it lost its data); reconciling")
			return errReconcile
		}
		select {
		case <-wake:
		case <-reconcile:
			return errReconcile
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// newPutter returns the session's putter; it counts what it sends and notices a databroker
// that answers with a new server version.
func (s *Sink) newPutter() *putter {
	return &putter{client: s.cfg.Client, max: s.cfg.MaxPutBytes, attempts: s.cfg.PutAttempts, timeout: s.cfg.PutTimeout,
		sent: func(n int, serverVersion uint64) {
			s.pushed(n)
			if s.cp.BrokerServerVersion != 0 && serverVersion != s.cp.BrokerServerVersion {
				s.brokerLost = true
			}
		}}
}

// save writes the checkpoint, now if force, else at most every checkpointEvery.
func (s *Sink) save(ctx context.Context, force bool) error {
	if !force && s.now().Sub(s.savedAt) < checkpointEvery {
		return nil
	}
	if err := saveCheckpoint(ctx, s.st, s.cfg.Name, s.cp); err != nil {
		return err
	}
	s.savedAt = s.now()
	return nil
}
