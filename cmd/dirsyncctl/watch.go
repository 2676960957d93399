package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

const watchAbout = `Follow the store's records as JSON lines (whatever -o says), until interrupted:
  {"record": {...}}       a record (a change with "deleted": true is a tombstone)
  {"versions": {...}}     after the snapshot: its server_version and latest_record_version
  {"checkpoint": {...}}   while idle (every heartbeat): every change up to
                          latest_record_version has been printed or filtered out
Without --from, every live record of one snapshot (SyncLatest) comes first, then each change
after it (Sync). With --from VERSION, only the changes after VERSION, on the server's current
store unless --server-version names the one VERSION came from.
Interrupting it (Ctrl-C) exits 0; a stream the server ends exits 4 (resume with --from).`

// types of records watch accepts in --type.
var watchTypes = map[string]dirsyncv1.RecordType{"user": dirsyncv1.RecordType_RECORD_TYPE_USER, "group": dirsyncv1.RecordType_RECORD_TYPE_GROUP}

// noDirectory is a directory name no store can hold (store.Batch forbids NUL): a SyncLatest
// filtered on it sends only the Versions.
const noDirectory = "\x00"

// cmdWatch prints SyncLatest (unless --from) and then Sync, as JSON lines, until e.ctx ends.
func cmdWatch(e *env, args []string) error {
	fs := e.flags("watch", "[--from VERSION [--server-version V]] [--directory D]... [--type user|group]...", watchAbout)
	from := fs.Uint64("from", 0, "print the changes after this record_version, without a snapshot")
	serverVersion := fs.Uint64("server-version", 0, "with --from: the server_version VERSION belongs to (default: the server's current one)")
	var dirs, typeNames stringList
	fs.Var(&dirs, "directory", "only records of this directory (repeatable)")
	fs.Var(&typeNames, "type", "only records of this type, user or group (repeatable)")
	if _, err := e.parse(fs, args, 0, 0); err != nil {
		return err
	}
	fromGiven := false
	fs.Visit(func(f *flag.Flag) { fromGiven = fromGiven || f.Name == "from" })
	var types []dirsyncv1.RecordType
	for _, n := range typeNames {
		t, ok := watchTypes[n]
		if !ok {
			return &usageError{fmt.Sprintf("--type %q: want user or group", n)}
		}
		types = append(types, t)
	}
	if *serverVersion != 0 && !fromGiven {
		return &usageError{"--server-version needs --from"}
	}
	if err := e.connect(); err != nil {
		return err
	}
	w := watcher{env: e, types: types, dirs: dirs, serverVersion: *serverVersion, cursor: *from}
	return w.run(!fromGiven)
}

// watcher is one watch: its filters and the position it has printed up to.
type watcher struct {
	*env
	types         []dirsyncv1.RecordType
	dirs          []string
	serverVersion uint64
	cursor        uint64
}

// run prints the snapshot (when snapshot is set) and then the changes after its version or
// w.cursor. It returns nil once e.ctx ends; when the server ends the stream, it says how to
// resume.
func (w *watcher) run(snapshot bool) error {
	err := w.start(snapshot)
	if err == nil {
		err = w.follow()
	}
	if w.ctx.Err() != nil || (status.Code(err) == codes.DeadlineExceeded && hasDeadline(w.ctx)) {
		return nil // the end of ctx, which the server may report first
	}
	if status.Code(err) == codes.Unavailable && w.serverVersion != 0 {
		fmt.Fprintf(w.stderr, "dirsyncctl: watch stopped after record_version %d; resume with --from %d --server-version %d\n",
			w.cursor, w.cursor, w.serverVersion)
	}
	return err
}

// start sets the position to follow from: the versions of a snapshot it prints or, without
// one, w.cursor on the server's current server_version unless --server-version gave one.
func (w *watcher) start(snapshot bool) error {
	switch {
	case snapshot:
		v, err := w.snapshot(&dirsyncv1.SyncLatestRequest{Types: w.types, Directories: w.dirs}, true)
		if err != nil {
			return err
		}
		w.serverVersion, w.cursor = v.ServerVersion, v.LatestRecordVersion
	case w.serverVersion == 0:
		v, err := w.snapshot(&dirsyncv1.SyncLatestRequest{Directories: []string{noDirectory}}, false)
		if err != nil {
			return err
		}
		w.serverVersion = v.ServerVersion
	}
	return nil
}

func hasDeadline(ctx context.Context) bool {
	_, ok := ctx.Deadline()
	return ok
}

// snapshot reads a SyncLatest stream, printing its records and versions when print is set,
// and returns its versions.
func (w *watcher) snapshot(req *dirsyncv1.SyncLatestRequest, print bool) (*dirsyncv1.Versions, error) {
	stream, err := w.syncClient().SyncLatest(w.ctx, req)
	if err != nil {
		return nil, err
	}
	for {
		resp, err := stream.Recv()
		if err == io.EOF {
			return nil, errors.New("the snapshot ended without its versions")
		} else if err != nil {
			return nil, err
		}
		for _, r := range resp.Records {
			if err := w.line(print, "record", r); err != nil {
				return nil, err
			}
		}
		if v := resp.Versions; v != nil {
			return v, w.line(print, "versions", v)
		}
	}
}

// follow prints the Sync stream from w.cursor until it fails or e.ctx ends.
func (w *watcher) follow() error {
	stream, err := w.syncClient().Sync(w.ctx, &dirsyncv1.SyncRequest{ServerVersion: w.serverVersion, RecordVersion: w.cursor,
		Types: w.types, Directories: w.dirs})
	if err != nil {
		return err
	}
	for {
		resp, err := stream.Recv()
		if err != nil {
			return err
		}
		for _, r := range resp.Records {
			if err := w.line(true, "record", r); err != nil {
				return err
			}
			w.cursor = r.Version
		}
		if cp := resp.Checkpoint; cp != nil {
			if err := w.line(true, "checkpoint", cp); err != nil {
				return err
			}
			w.cursor = max(w.cursor, cp.LatestRecordVersion)
		}
	}
}

// line writes m as a JSON line under key, when print is set.
func (w *watcher) line(print bool, key string, m proto.Message) error {
	if !print {
		return nil
	}
	return writeJSONLine(w.stdout, key, m)
}
