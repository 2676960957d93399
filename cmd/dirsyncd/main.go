// Command dirsyncd is the dirsync daemon: it serves the directory store over gRPC and REST.
//
//	dirsyncd [-config file.yaml]           run the server and the directory syncers
//	dirsyncd validate -config file.yaml    check a configuration file (and its providers' options)
//	dirsyncd providers [-markdown]         list the provider types and their options
//	dirsyncd migrate -config file.yaml     apply the PostgreSQL schema migrations and exit
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/dirsync/dirsync/config"
	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/builtin"
	"github.com/dirsync/dirsync/server"
	"github.com/dirsync/dirsync/store"
	"github.com/dirsync/dirsync/store/bolt"
	"github.com/dirsync/dirsync/store/memory"
	"github.com/dirsync/dirsync/store/postgres"
	"github.com/dirsync/dirsync/syncer"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "dirsyncd:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && (args[0] == "validate" || args[0] == "providers" || args[0] == "migrate") {
		cmd, args = args[0], args[1:]
	}
	reg := builtin.Registry()
	if cmd == "providers" {
		if len(args) == 1 && args[0] == "-markdown" {
			writeOptionTables(stdout, reg)
			return nil
		}
		printProviders(stdout, reg)
		return nil
	}
	fs := flag.NewFlagSet("dirsyncd "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "configuration file (YAML); without it the defaults apply")
	level := fs.String("log-level", "", "log level: debug, info, warn, error (default: the config's log.level, info)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (commands: validate, providers, migrate)", fs.Arg(0))
	}
	cfg := config.Default()
	if *path != "" {
		var err error
		if cfg, err = config.Load(*path); err != nil {
			return err
		}
	} else if cmd != "serve" {
		return errors.New(cmd + " needs -config")
	}
	if cmd == "migrate" {
		return migrate(stdout, cfg.Storage)
	}
	log, err := newLogger(stderr, cfg.Log, *level)
	if err != nil {
		return err
	}
	dirs, err := directories(cfg, reg, log)
	if err != nil {
		return fmt.Errorf("%s: %w", *path, err)
	}
	if cmd == "validate" {
		fmt.Fprintf(stdout, "%s: valid\n", *path)
		describe(stdout, cfg, reg)
		return nil
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, cfg, reg, dirs, log)
}

// serve runs the server and the syncers until ctx ends, then closes the store.
func serve(ctx context.Context, cfg config.Config, reg *providers.Registry, dirs []syncer.Directory, log *slog.Logger) error {
	enroll, err := enrollmentOptions(cfg)
	if err != nil {
		return err
	}
	authOpts, err := authOptions(cfg.Auth)
	if err != nil {
		return err
	}
	tlsf, err := tlsFiles(cfg.TLS, log)
	if err != nil {
		return err
	}
	tel, stopTelemetry, err := startTelemetry(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer stopTelemetry()
	st, err := openStore(cfg.Storage)
	if err != nil {
		return err
	}
	defer func() {
		if err := st.Close(); err != nil {
			log.Error("closing the store", "error", err)
		}
	}()
	grpcLis, err := net.Listen("tcp", cfg.Listen.GRPC)
	if err != nil {
		return fmt.Errorf("listen.grpc: %w", err)
	}
	var httpLis net.Listener
	if cfg.Listen.HTTP != "off" {
		if httpLis, err = net.Listen("tcp", cfg.Listen.HTTP); err != nil {
			return fmt.Errorf("listen.http: %w", err)
		}
	}
	sinks, err := newSinks(cfg, st, tel.MeterProvider, log)
	if err != nil {
		return err
	}
	sy := syncer.New(st, dirs, syncer.Options{Log: log, LeaseTTL: time.Duration(cfg.Sync.LeaseTTL),
		MeterProvider: tel.MeterProvider, TracerProvider: tel.TracerProvider})
	srv := server.New(st, log, server.Options{
		Heartbeat:         time.Duration(cfg.Streams.Heartbeat),
		SendTimeout:       time.Duration(cfg.Streams.SendTimeout),
		Retention:         time.Duration(cfg.Retention),
		Syncer:            sy,
		Sinks:             sinks,
		Providers:         reg,
		Enrollment:        enroll,
		Auth:              authOpts,
		TLS:               tlsf,
		DisableReflection: !cfg.ReflectionEnabled(),
		MeterProvider:     tel.MeterProvider,
		TracerProvider:    tel.TracerProvider,
		Propagators:       tel.Propagators,
	})
	syncCtx, stopSync := context.WithCancel(ctx)
	synced := make(chan struct{})
	go func() {
		defer close(synced)
		sy.Run(syncCtx)
	}()
	sinksDone := sinks.run(syncCtx)
	err = srv.Run(ctx, grpcLis, httpLis)
	stopSync()
	<-synced
	sinksDone()
	log.Info("stopped")
	return err
}

func openStore(c config.Storage) (store.Store, error) {
	switch c.Driver {
	case "memory":
		return memory.New(), nil
	case "postgres":
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		st, err := postgres.Open(ctx, c.DSN)
		if err != nil {
			return nil, fmt.Errorf("storage: %w", err)
		}
		return st, nil
	default:
		st, err := bolt.Open(c.Path)
		if err != nil {
			return nil, fmt.Errorf("storage: %w", err)
		}
		return st, nil
	}
}

// migrate applies the PostgreSQL schema migrations (Open applies them too; this lets an
// operator run them ahead of a rollout).
func migrate(w io.Writer, c config.Storage) error {
	if c.Driver != "postgres" {
		return fmt.Errorf("storage.driver is %q: only postgres has migrations", c.Driver)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	applied, err := postgres.Migrate(ctx, c.DSN)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(w, "schema up to date")
	}
	for _, name := range applied {
		fmt.Fprintln(w, "applied", name)
	}
	return nil
}
