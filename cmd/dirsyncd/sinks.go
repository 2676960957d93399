package main

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/metric"
	"google.golang.org/grpc"

	"github.com/dirsync/dirsync/config"
	"github.com/dirsync/dirsync/gen/databroker"
	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/sinks/pomerium"
	"github.com/dirsync/dirsync/store"
)

// sinkSet is the configured sinks; it serves their statuses to GetSyncStatus.
type sinkSet struct {
	sinks []*pomerium.Sink
	conns []*grpc.ClientConn
}

// newSinks builds the configured sinks of st. It connects to nothing yet.
func newSinks(cfg config.Config, st store.Store, mp metric.MeterProvider, log *slog.Logger) (*sinkSet, error) {
	set := &sinkSet{}
	for i, c := range cfg.Sinks {
		key, err := c.Key(i)
		if err != nil {
			set.close()
			return nil, err
		}
		conn, err := pomerium.Dial(pomerium.Target{URL: c.URL, SharedSecret: key, CAFile: c.CAFile, InsecureSkipVerify: c.InsecureSkipVerify})
		if err != nil {
			set.close()
			return nil, fmt.Errorf("sinks[%d]: %w", i, err)
		}
		set.conns = append(set.conns, conn)
		s, err := pomerium.New(st, pomerium.Config{Name: c.Name, Directories: c.Directories,
			Client: databroker.NewDataBrokerServiceClient(conn), ReconcileInterval: time.Duration(c.ReconcileInterval),
			LeaseTTL: time.Duration(cfg.Sync.LeaseTTL), Log: log, MeterProvider: mp})
		if err != nil {
			set.close()
			return nil, fmt.Errorf("sinks[%d]: %w", i, err)
		}
		set.sinks = append(set.sinks, s)
	}
	return set, nil
}

// run runs every sink until ctx ends; the returned function waits for them to stop and
// closes their connections.
func (s *sinkSet) run(ctx context.Context) (wait func()) {
	var wg sync.WaitGroup
	for _, sk := range s.sinks {
		wg.Go(func() { sk.Run(ctx) })
	}
	return func() {
		wg.Wait()
		s.close()
	}
}

func (s *sinkSet) close() {
	for _, c := range s.conns {
		_ = c.Close()
	}
	s.conns = nil
}

// Status implements server.Sinks.
func (s *sinkSet) Status() []*dirsyncv1.SinkStatus {
	out := make([]*dirsyncv1.SinkStatus, 0, len(s.sinks))
	for _, sk := range s.sinks {
		out = append(out, sk.Status())
	}
	slices.SortFunc(out, func(a, b *dirsyncv1.SinkStatus) int { return strings.Compare(a.Name, b.Name) })
	return out
}
