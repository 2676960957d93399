package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/structpb"
)

// splitLines returns the lines of s; none for "".
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// TestUsage: help exits 0; bad command lines exit 2 before contacting the server (the address
// is closed: a call would exit 4).
func TestUsage(t *testing.T) {
	addr := closedAddr(t)
	r := ctl(t, addr, "help")
	require.Equal(t, exitOK, r.code)
	require.Contains(t, r.stdout, "Exit codes:\n  0  success")
	require.Contains(t, r.stdout, "-token value")

	r = ctl(t, addr, "groups", "members", "-h")
	require.Equal(t, exitOK, r.code)
	require.Contains(t, r.stderr, "usage: dirsyncctl groups members DIRECTORY ID [--transitive] [--groups]")
	require.Contains(t, r.stderr, "  --transitive\n")
	require.NotContains(t, r.stderr, "--addr", "global flags are left to 'dirsyncctl help'")

	cases := []struct {
		args   []string
		stderr string
	}{
		{nil, "usage: dirsyncctl [global flags] COMMAND"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"users"}, "users: want a subcommand: get, groups, list"},
		{[]string{"groups", "delete"}, `groups: unknown subcommand "delete": want get, list, members`},
		{[]string{"-o", "yaml", "status"}, `-o "yaml": want table or json`},
		{[]string{"status", "--timeout", "-1s"}, "--timeout -1s: must not be negative"},
		{[]string{"status", "a", "b"}, `status: wrong number of arguments ["a" "b"]`},
		{[]string{"providers", "extra"}, "providers: wrong number of arguments"},
		{[]string{"--nope", "status"}, "flag provided but not defined: -nope"},
		{[]string{"check", "--directory", "acme", "--user", "u1"}, "check: --policy is required"},
	}
	for _, c := range cases {
		r := ctl(t, addr, c.args...)
		require.Equal(t, exitUsage, r.code, "%v: %s", c.args, r.stderr)
		require.Contains(t, r.stderr, c.stderr, c.args)
		require.Empty(t, r.stdout, c.args)
	}
}

// TestFlagPlacement: global flags work before and after the command, and flags may follow
// positional arguments; "--" ends the flags.
func TestFlagPlacement(t *testing.T) {
	ts := startServer(t)
	for _, args := range [][]string{
		{"-o", "json", "users", "get", "acme", "u1"},
		{"users", "get", "-o", "json", "acme", "u1"},
		{"users", "get", "acme", "u1", "-o", "json"},
		{"-o", "json", "users", "get", "acme", "--", "u1"},
	} {
		r := ctl(t, ts.addr, args...)
		require.Equal(t, exitOK, r.code, "%v: %s", args, r.stderr)
		require.True(t, strings.HasPrefix(r.stdout, "{\n"), args)
	}
	// After "--", "-x" is an argument: here an id that does not exist.
	r := ctl(t, ts.addr, "users", "get", "acme", "--", "-x")
	require.Equal(t, exitNotFound, r.code, r.stderr)
	require.Contains(t, r.stderr, `user "-x"`)
}

func TestVersion(t *testing.T) {
	r := ctl(t, closedAddr(t), "version")
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Regexp(t, `(?m)^version +\S+\ngo +go1\.`, r.stdout)
	got := jsonOf(t, ctl(t, closedAddr(t), "version", "-o", "json"), &structpb.Struct{})
	require.Contains(t, got.Fields, "version")
}
