package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"google.golang.org/grpc"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// env is one invocation: the global options, the output streams, the context and, once a
// command needs it, the connection.
type env struct {
	ctx    context.Context
	stdout io.Writer
	stderr io.Writer
	opts   options
	conn   *grpc.ClientConn
}

// globalFlags returns the flag set of the words before the command.
func (e *env) globalFlags() *flag.FlagSet {
	fs := flag.NewFlagSet("dirsyncctl", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	e.opts.register(fs)
	return fs
}

// flags returns the flag set of a command; args and about describe it in its help. The set
// holds the global flags too, so they may also follow the command.
func (e *env) flags(name, args, about string) *flag.FlagSet {
	fs := flag.NewFlagSet("dirsyncctl "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "usage: dirsyncctl %s %s\n\n%s\n", name, args, about)
		header := "\nFlags:\n"
		fs.VisitAll(func(f *flag.Flag) {
			if globalNames[f.Name] {
				return
			}
			typ, text := flag.UnquoteUsage(f)
			if typ != "" {
				typ = " " + typ
			}
			fmt.Fprintf(w, "%s  --%s%s\n    \t%s\n", header, f.Name, typ, text)
			header = ""
		})
		fmt.Fprint(w, "\nGlobal flags and exit codes: dirsyncctl help\n")
	}
	e.opts.register(fs)
	return fs
}

// parse parses a command's arguments, where flags may come before, between and after the
// positional arguments ("--" ends the flags), and returns the positional ones. It is a
// usage error unless there are between min and max of them (max < 0: no limit).
func (e *env) parse(fs *flag.FlagSet, args []string, min, max int) ([]string, error) {
	var pos []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return nil, flagError(err)
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
	if len(pos) < min || (max >= 0 && len(pos) > max) {
		want := strings.TrimPrefix(fs.Name(), "dirsyncctl ")
		return nil, &usageError{fmt.Sprintf("%s: wrong number of arguments %q (see 'dirsyncctl %s -h')", want, pos, want)}
	}
	return pos, e.opts.finish()
}

// call returns the context of one unary call: bounded by --timeout unless it is 0.
func (e *env) call() (context.Context, context.CancelFunc) {
	if e.opts.timeout == 0 {
		return context.WithCancel(e.ctx)
	}
	return context.WithTimeout(e.ctx, e.opts.timeout)
}

// connect dials the server once (lazily: errors reaching it come from the first call).
func (e *env) connect() error {
	if e.conn != nil {
		return nil
	}
	conn, err := dial(e.opts)
	if err != nil {
		return err
	}
	e.conn = conn
	return nil
}

// syncClient and queryClient return the API clients; connect must have succeeded.
func (e *env) syncClient() dirsyncv1.SyncServiceClient { return dirsyncv1.NewSyncServiceClient(e.conn) }

func (e *env) queryClient() dirsyncv1.DirectoryQueryClient {
	return dirsyncv1.NewDirectoryQueryClient(e.conn)
}

func (e *env) enrollmentClient() dirsyncv1.DeviceEnrollmentServiceClient {
	return dirsyncv1.NewDeviceEnrollmentServiceClient(e.conn)
}

func (e *env) close() {
	if e.conn != nil {
		e.conn.Close()
	}
}

func sortedKeys[V any](m map[string]V) string {
	return strings.Join(slices.Sorted(maps.Keys(m)), ", ")
}
