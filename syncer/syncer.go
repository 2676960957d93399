package syncer

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"time"

	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/store"
)

// Polling is a directory's schedule. Zero (or negative) fields take their defaults.
type Polling struct {
	// MinDelay is the wait after a successful or blocked run, and the base of the backoff
	// after failures. Default 10m.
	MinDelay time.Duration
	// MaxDelay caps the backoff after failures (a provider's retry time may exceed it).
	// Default 1h; never below MinDelay.
	MaxDelay time.Duration
	// Timeout bounds one attempt: the provider call, reading the store and the write.
	// Default 30m.
	Timeout time.Duration
	// FullSyncInterval is the longest time between full syncs (a nil cursor to the
	// provider), so deletions a delta feed cannot see are caught. Default 24h.
	FullSyncInterval time.Duration
}

// Safety holds a directory's guards. Zero fields take their defaults.
type Safety struct {
	// MaxDeleteFraction: a run that would delete more than this fraction of the directory's
	// records is blocked unless forced. Default 0.25; values above 1 mean 1 (never block).
	MaxDeleteFraction float64
}

// Directory is one configured directory.
type Directory struct {
	// Name is the directory's unique, non-empty name; records are stored under it.
	Name string
	// Provider is the provider type name, shown in the status.
	Provider string
	// Source reads the directory.
	Source  providers.Provider
	Polling Polling
	Safety  Safety
}

// Options configures a Syncer. Zero fields take their defaults.
type Options struct {
	// Holder identifies this process as a lease holder. Default: the host name, process id
	// and a random suffix.
	Holder string
	// LeaseTTL is how long a directory's lease lasts unrenewed; it is renewed every TTL/3
	// and a standby process retries acquiring it every TTL/3. Default 30s.
	LeaseTTL time.Duration
	// Log receives the syncer's logs (each line names its directory). Default: discarded.
	Log *slog.Logger
	// MeterProvider and TracerProvider receive the syncer's metrics and spans (telemetry.go).
	// Default: no-ops.
	MeterProvider  metric.MeterProvider
	TracerProvider trace.TracerProvider
}

// Errors of the Syncer's methods, for the server to map to API codes.
var (
	// ErrUnknownDirectory: no such directory (it wraps store.ErrNotFound).
	ErrUnknownDirectory = fmt.Errorf("unknown directory: %w", store.ErrNotFound)
	// ErrNotLeader: another process holds the directory's lease and runs it, or this
	// process's syncer for it has stopped.
	ErrNotLeader = errors.New("this directory is synced by another dirsyncd process")
	// ErrConfigured: the directory is configured, so it cannot be purged.
	ErrConfigured = errors.New("directory is configured; remove it from the configuration before purging it")
)

// Defaults.
const (
	DefaultMinDelay          = 10 * time.Minute
	DefaultMaxDelay          = time.Hour
	DefaultTimeout           = 30 * time.Minute
	DefaultFullSyncInterval  = 24 * time.Hour
	DefaultMaxDeleteFraction = 0.25
	DefaultLeaseTTL          = 30 * time.Second
)

// Syncer runs the sync loops of the configured directories and reports their status. Its
// methods are safe for concurrent use.
type Syncer struct {
	st     store.Store
	holder string
	ttl    time.Duration
	log    *slog.Logger
	// now is the clock of statuses, schedules and full-sync ages (leases use the real
	// clock); tests replace it before Run.
	now   func() time.Time
	dirs  map[string]*dirLoop
	names []string // sorted
	// shared caches the statuses that lease holders wrote to the store (see shared.go).
	shared sharedStatuses
	in     *instruments
}

// New returns a Syncer of dirs over st. Nothing runs until Run. It panics on an empty or
// duplicate directory name or a nil Source: configuration validation rejects those first.
func New(st store.Store, dirs []Directory, opts Options) *Syncer {
	s := &Syncer{st: st, holder: opts.Holder, ttl: opts.LeaseTTL, log: opts.Log, now: time.Now,
		dirs: make(map[string]*dirLoop, len(dirs))}
	if s.holder == "" {
		s.holder = defaultHolder()
	}
	if s.ttl <= 0 {
		s.ttl = DefaultLeaseTTL
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if opts.MeterProvider == nil {
		opts.MeterProvider = metricnoop.NewMeterProvider()
	}
	if opts.TracerProvider == nil {
		opts.TracerProvider = tracenoop.NewTracerProvider()
	}
	var err error
	if s.in, err = newInstruments(s, opts.MeterProvider, opts.TracerProvider); err != nil {
		s.log.Error("syncer metrics are off", "err", err)
		s.in, _ = newInstruments(s, metricnoop.NewMeterProvider(), opts.TracerProvider)
	}
	for _, d := range dirs {
		switch {
		case d.Name == "":
			panic("syncer: directory with an empty name")
		case d.Source == nil:
			panic(fmt.Sprintf("syncer: directory %q has no provider", d.Name))
		case s.dirs[d.Name] != nil:
			panic(fmt.Sprintf("syncer: directory %q configured twice", d.Name))
		}
		d.Polling = d.Polling.withDefaults()
		d.Safety = d.Safety.withDefaults()
		s.dirs[d.Name] = newDirLoop(s, d)
		s.names = append(s.names, d.Name)
	}
	slices.Sort(s.names)
	return s
}

func (p Polling) withDefaults() Polling {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&p.MinDelay, DefaultMinDelay)
	def(&p.MaxDelay, DefaultMaxDelay)
	def(&p.Timeout, DefaultTimeout)
	def(&p.FullSyncInterval, DefaultFullSyncInterval)
	p.MaxDelay = max(p.MaxDelay, p.MinDelay)
	return p
}

func (s Safety) withDefaults() Safety {
	if s.MaxDeleteFraction <= 0 {
		s.MaxDeleteFraction = DefaultMaxDeleteFraction
	}
	s.MaxDeleteFraction = min(s.MaxDeleteFraction, 1)
	return s
}

func defaultHolder() string {
	host, _ := os.Hostname()
	b := make([]byte, 6)
	_, _ = rand.Read(b) // never fails
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b))
}

// Configured reports whether dir is a configured directory.
func (s *Syncer) Configured(dir string) bool { return s.dirs[dir] != nil }

// Status returns a fresh copy of the status of every configured directory, sorted by name.
// A directory this process syncs reports its live status; any other reports the status its
// lease holder last saved in the store (read at most once a second), state included, so that
// every replica answers alike; STANDBY means no holder has saved one yet.
func (s *Syncer) Status() []*dirsyncv1.DirectoryStatus {
	out := make([]*dirsyncv1.DirectoryStatus, 0, len(s.names))
	for _, name := range s.names {
		out = append(out, s.dirs[name].snapshot())
	}
	return out
}

// StatusOf returns a fresh copy of a configured directory's status, or ErrUnknownDirectory.
func (s *Syncer) StatusOf(dir string) (*dirsyncv1.DirectoryStatus, error) {
	d, err := s.dir(dir)
	if err != nil {
		return nil, err
	}
	return d.snapshot(), nil
}

func (s *Syncer) dir(name string) (*dirLoop, error) {
	if d := s.dirs[name]; d != nil {
		return d, nil
	}
	return nil, fmt.Errorf("directory %q: %w", name, ErrUnknownDirectory)
}

// leaseName is the store lease that guards a directory's writes.
func leaseName(dir string) string { return "syncer/" + dir }
