package main

import (
	"fmt"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// cmdStatus prints GetSyncStatus: a table of every directory, or the details of one.
func cmdStatus(e *env, args []string) error {
	fs := e.flags("status", "[DIRECTORY]", "Sync status of every directory (configured and orphaned), or the details of one.")
	pos, err := e.parse(fs, args, 0, 1)
	if err != nil {
		return err
	}
	req := &dirsyncv1.GetSyncStatusRequest{}
	if len(pos) == 1 {
		req.Directory = pos[0]
	}
	if err := e.connect(); err != nil {
		return err
	}
	ctx, cancel := e.call()
	defer cancel()
	resp, err := e.syncClient().GetSyncStatus(ctx, req)
	switch {
	case err != nil:
		return err
	case e.json():
		return e.printJSON(resp)
	case req.Directory != "" && len(resp.Directories) == 1:
		t := e.table()
		statusRows(t, resp.Directories[0])
		return t.flush()
	}
	t := e.table("DIRECTORY", "PROVIDER", "STATE", "RESULT", "LAST END", "USERS", "GROUPS", "VERSION", "NEXT RUN", "ERROR")
	for _, s := range resp.Directories {
		t.row(s.Directory, s.Provider, stateText(s.State), resultText(s.LastResult), timeText(s.LastEnd),
			intText(s.Users), intText(s.Groups), uintText(s.RecordVersion), timeText(s.NextRun), s.LastError)
	}
	return t.flush()
}

// statusRows adds the details of one directory's status to a key-value table.
func statusRows(t *table, s *dirsyncv1.DirectoryStatus) {
	t.row("directory", s.Directory)
	t.row("provider", s.Provider)
	t.row("state", stateText(s.State))
	if p := s.Progress; p != nil {
		t.row("progress", fmt.Sprintf("%d requests, %d users, %d groups read", p.Requests, p.UsersRead, p.GroupsRead))
	}
	t.row("last result", resultText(s.LastResult))
	t.row("last error", s.LastError)
	t.row("last start", timeText(s.LastStart))
	t.row("last end", timeText(s.LastEnd))
	t.row("last duration", durationText(s.LastDuration))
	t.row("last full", boolText(s.LastFull))
	t.row("last forced", boolText(s.LastForced))
	t.row("last changes", intText(s.LastChanges))
	t.row("last success", timeText(s.LastSuccess))
	t.row("consecutive failures", intText(int64(s.ConsecutiveFailures)))
	t.row("provider requests", intText(s.ProviderRequests))
	t.row("rate limit waits", intText(s.RateLimitWaits))
	t.row("users", intText(s.Users))
	t.row("groups", intText(s.Groups))
	t.row("record version", uintText(s.RecordVersion))
	t.row("next run", timeText(s.NextRun))
}

func stateText(s dirsyncv1.SyncState) string { return enumText(s.String(), "SYNC_STATE_") }

func resultText(r dirsyncv1.SyncResult) string { return enumText(r.String(), "SYNC_RESULT_") }

// cmdSync runs TriggerSync and prints the directory's status after the run. A failed or
// blocked run is a negative answer (exit 1).
func cmdSync(e *env, args []string) error {
	fs := e.flags("sync", "DIRECTORY [--force]",
		"Run the directory's sync now and wait until it ends (raise --timeout for long syncs).\n"+
			"Exit code 1 when the run failed, or was blocked by the mass-deletion guard.")
	force := fs.Bool("force", false, "apply the run even if it deletes more than max_delete_fraction of the directory")
	pos, err := e.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if err := e.connect(); err != nil {
		return err
	}
	ctx, cancel := e.call()
	defer cancel()
	resp, err := e.syncClient().TriggerSync(ctx, &dirsyncv1.TriggerSyncRequest{Directory: pos[0], Force: *force})
	if err != nil {
		return err
	}
	if e.json() {
		err = e.printJSON(resp)
	} else {
		t := e.table()
		statusRows(t, resp.GetStatus())
		t.row("store version", uintText(resp.RecordVersion))
		err = t.flush()
	}
	if err != nil {
		return err
	}
	switch st := resp.GetStatus(); st.GetLastResult() {
	case dirsyncv1.SyncResult_SYNC_RESULT_FAILURE:
		return &negativeError{fmt.Sprintf("sync of %s failed: %s", pos[0], st.GetLastError())}
	case dirsyncv1.SyncResult_SYNC_RESULT_BLOCKED:
		return &negativeError{fmt.Sprintf("sync of %s blocked: %s (--force applies it)", pos[0], st.GetLastError())}
	}
	return nil
}

// cmdPurge runs PurgeDirectory.
func cmdPurge(e *env, args []string) error {
	fs := e.flags("purge", "DIRECTORY",
		"Delete every record of a directory that is no longer configured (status ORPHANED).\n"+
			"Subscribers receive the tombstones. A configured directory is refused (exit 5).")
	pos, err := e.parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if err := e.connect(); err != nil {
		return err
	}
	ctx, cancel := e.call()
	defer cancel()
	resp, err := e.syncClient().PurgeDirectory(ctx, &dirsyncv1.PurgeDirectoryRequest{Directory: pos[0]})
	switch {
	case err != nil:
		return err
	case e.json():
		return e.printJSON(resp)
	}
	t := e.table()
	t.row("directory", pos[0])
	t.row("deleted records", intText(resp.DeletedRecords))
	t.row("record version", uintText(resp.RecordVersion))
	return t.flush()
}

// cmdProviders prints ListProviderTypes: one row per provider option.
func cmdProviders(e *env, args []string) error {
	fs := e.flags("providers", "", "The provider types the server knows and their options.")
	if _, err := e.parse(fs, args, 0, 0); err != nil {
		return err
	}
	if err := e.connect(); err != nil {
		return err
	}
	ctx, cancel := e.call()
	defer cancel()
	resp, err := e.syncClient().ListProviderTypes(ctx, &dirsyncv1.ListProviderTypesRequest{})
	switch {
	case err != nil:
		return err
	case e.json():
		return e.printJSON(resp)
	}
	t := e.table("PROVIDER", "OPTION", "TYPE", "REQUIRED", "SECRET", "DEFAULT", "DESCRIPTION")
	for _, p := range resp.ProviderTypes {
		if len(p.Options) == 0 {
			t.row(p.Name, "", "", "", "", "", p.Title)
		}
		for _, o := range p.Options {
			t.row(p.Name, o.Name, o.Type, boolText(o.Required), boolText(o.Secret), o.DefaultValue, o.Description)
		}
	}
	return t.flush()
}
