package main

import (
	"fmt"
	"runtime/debug"

	"google.golang.org/protobuf/types/known/structpb"
)

// cmdVersion prints the program's module version, Go version and VCS revision, from the
// build information; it does not contact the server.
func cmdVersion(e *env, args []string) error {
	fs := e.flags("version", "", "This program's version (from its build information).")
	if _, err := e.parse(fs, args, 0, 0); err != nil {
		return err
	}
	info := map[string]any{"version": "(unknown)"}
	if bi, ok := debug.ReadBuildInfo(); ok {
		info["version"], info["go"] = bi.Main.Version, bi.GoVersion
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				info["revision"] = s.Value
			case "vcs.time":
				info["revision_time"] = s.Value
			case "vcs.modified":
				info["modified"] = s.Value == "true"
			}
		}
	}
	if e.json() {
		s, err := structpb.NewStruct(info)
		if err != nil {
			return err
		}
		return e.printJSON(s)
	}
	t := e.table()
	for _, k := range []string{"version", "go", "revision", "revision_time", "modified"} {
		if v, ok := info[k]; ok {
			t.row(k, fmt.Sprint(v))
		}
	}
	return t.flush()
}
