// Command dirsyncctl is the operators' command line over dirsyncd's gRPC API.
//
//	dirsyncctl [global flags] COMMAND [flags] [ARGS]
//
// Commands:
//
//	status [DIRECTORY]                       sync status of every directory, or of one
//	sync DIRECTORY [--force]                 run a directory's sync now and wait for it
//	purge DIRECTORY                          delete the records of an unconfigured directory
//	providers                                provider types and their options
//	users list DIRECTORY [list flags]        users, sorted by id
//	users get DIRECTORY ID                   one user
//	users groups DIRECTORY ID [--effective]  a user's groups (direct, or through nesting)
//	groups list DIRECTORY [list flags]       groups, sorted by id
//	groups get DIRECTORY ID                  one group
//	groups members DIRECTORY ID [--transitive] [--groups]
//	                                         a group's member users (or member groups)
//	watch [--from VERSION [--server-version V]] [--directory D]... [--type user|group]...
//	                                         print the snapshot (or, with --from, the changes
//	                                         after VERSION), then follow the change stream,
//	                                         as JSON lines, until interrupted
//	check --policy FILE --directory D --user ID
//	                                         evaluate a policy for a user
//	enroll USER --directory D [--type T] [--ttl 72h] [--redirect URL]
//	                                         create a device-enrollment link and print it
//	version                                  this program's version
//
// List flags: --query Q (text over id, name, email), --limit N (per page; server default
// 100, at most 1000), --page-token T (continue a listing), --all (every page).
//
// Global flags, accepted before or after the command: --addr (default 127.0.0.1:7070),
// --timeout (default 30s per call; 0 for none; watch has none), -o table|json, --tls,
// --ca-file, --cert-file, --key-file, --server-name, --token (default $DIRSYNC_TOKEN; sent as
// "authorization: Bearer TOKEN"; without --tls only to a loopback address).
//
// Output: -o table (the default) prints aligned tables for people; -o json prints one JSON
// document per command, the response message in protojson with proto field names (as the
// REST API does). watch always prints JSON lines.
//
// Exit codes, which scripts may rely on:
//
//	0  success (check: the policy allows the user)
//	1  the operation completed but the answer is negative: the sync failed or was blocked,
//	   the policy does not allow the user
//	2  usage error: bad command line, unreadable file named by a flag, or the server
//	   rejected the input (INVALID_ARGUMENT)
//	3  not found (NOT_FOUND): unknown directory, user or group
//	4  server unreachable or unavailable (UNAVAILABLE), or the call timed out
//	   (DEADLINE_EXCEEDED)
//	5  any other error (FAILED_PRECONDITION, UNIMPLEMENTED, PERMISSION_DENIED, INTERNAL, …)
//
// Errors print the server's message on stderr.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// usage is the top-level help.
const usage = `usage: dirsyncctl [global flags] COMMAND [flags] [ARGS]

Commands:
  status [DIRECTORY]                       sync status of every directory, or of one
  sync DIRECTORY [--force]                 run a directory's sync now and wait for it
  purge DIRECTORY                          delete the records of an unconfigured directory
  providers                                provider types and their options
  users list DIRECTORY [list flags]        users, sorted by id
  users get DIRECTORY ID                   one user
  users groups DIRECTORY ID [--effective]  a user's groups (direct, or through nesting)
  groups list DIRECTORY [list flags]       groups, sorted by id
  groups get DIRECTORY ID                  one group
  groups members DIRECTORY ID [--transitive] [--groups]
                                           a group's member users (or member groups)
  watch [--from VERSION [--server-version V]] [--directory D]... [--type user|group]...
                                           snapshot (or changes after VERSION), then
                                           follow the change stream, as JSON lines
  check --policy FILE --directory D --user ID
                                           evaluate a policy for a user
  enroll USER --directory D [--type T] [--ttl 72h] [--redirect URL]
                                           create a device-enrollment link and print it
  version                                  this program's version

List flags: --query Q, --limit N (per page), --page-token T, --all (every page).
Run 'dirsyncctl COMMAND -h' for a command's flags.

Exit codes:
  0  success (check: the policy allows the user)
  1  completed, but the answer is negative: sync failed or blocked, policy does not allow
  2  usage error, or the server rejected the input (INVALID_ARGUMENT)
  3  not found (NOT_FOUND)
  4  server unreachable or unavailable, or the call timed out
  5  any other error

Global flags (before or after the command):
`

// commands maps each command name to its implementation. A command parses its own arguments
// (with e.parse) and returns an error that exitCode classifies.
var commands = map[string]func(e *env, args []string) error{
	"status":    cmdStatus,
	"sync":      cmdSync,
	"purge":     cmdPurge,
	"providers": cmdProviders,
	"users":     subcommands("users", map[string]func(*env, []string) error{"list": cmdUsersList, "get": cmdUsersGet, "groups": cmdUsersGroups}),
	"groups":    subcommands("groups", map[string]func(*env, []string) error{"list": cmdGroupsList, "get": cmdGroupsGet, "members": cmdGroupsMembers}),
	"watch":     cmdWatch,
	"check":     cmdCheck,
	"enroll":    cmdEnroll,
	"version":   cmdVersion,
}

// run executes one command line and returns the process exit code. Results go to stdout;
// errors and hints to stderr. ctx ends watch (exit 0) and cancels any other call.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	e := &env{ctx: ctx, stdout: stdout, stderr: stderr, opts: defaultOptions()}
	defer e.close()
	fs := e.globalFlags()
	if err := fs.Parse(args); err != nil {
		return e.fail(flagError(err))
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return exitUsage
	}
	name := fs.Arg(0)
	if name == "help" {
		fs.SetOutput(stdout)
		fs.Usage()
		return exitOK
	}
	cmd, ok := commands[name]
	if !ok {
		return e.fail(&usageError{fmt.Sprintf("unknown command %q (run 'dirsyncctl help')", name)})
	}
	return e.fail(cmd(e, fs.Args()[1:]))
}

// subcommands returns a command that dispatches to the named subcommand of group.
func subcommands(group string, subs map[string]func(*env, []string) error) func(*env, []string) error {
	return func(e *env, args []string) error {
		if len(args) == 0 {
			return &usageError{fmt.Sprintf("%s: want a subcommand: %s", group, sortedKeys(subs))}
		}
		sub, ok := subs[args[0]]
		if !ok {
			return &usageError{fmt.Sprintf("%s: unknown subcommand %q: want %s", group, args[0], sortedKeys(subs))}
		}
		return sub(e, args[1:])
	}
}
