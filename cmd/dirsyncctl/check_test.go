package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// policyServer is a DirectoryQuery server whose EvaluatePolicy answers by user id: u1 is
// allowed, u2 denied by a deny rule, u3 matched by no rule, anyone else is not found; the
// policy "bad" does not compile. It records the authorization metadata of each call.
type policyServer struct {
	dirsyncv1.UnimplementedDirectoryQueryServer
	mu   sync.Mutex
	auth []string
}

func (p *policyServer) EvaluatePolicy(ctx context.Context, req *dirsyncv1.EvaluatePolicyRequest) (*dirsyncv1.EvaluatePolicyResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	p.mu.Lock()
	p.auth = append(p.auth, md.Get("authorization")...)
	p.mu.Unlock()
	if req.Policy == "bad\n" {
		return nil, status.Error(codes.InvalidArgument, "policy: line 1: expected a list of rules")
	}
	criteria := []*dirsyncv1.PolicyCriterionResult{
		{Line: 3, Action: "allow", Criterion: "groups.has", Value: "Engineering", Matched: req.UserId == "u1"},
		{Line: 6, Action: "deny", Criterion: "email.ends_with", Value: "@evil.example", Matched: req.UserId == "u2"},
	}
	resp := &dirsyncv1.EvaluatePolicyResponse{Criteria: criteria, RecordVersion: 42}
	switch req.UserId {
	case "u1":
		resp.Allowed = true
	case "u2":
		resp.Denied = true
	case "u3":
	default:
		return nil, status.Errorf(codes.NotFound, "user %q in directory %q: not found", req.UserId, req.Directory)
	}
	return resp, nil
}

func (p *policyServer) authorizations() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.auth...)
}

// startPolicyServer serves a policyServer until the test ends, with TLS when creds is set.
func startPolicyServer(t *testing.T, creds credentials.TransportCredentials) (*policyServer, string) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var opts []grpc.ServerOption
	if creds != nil {
		opts = append(opts, grpc.Creds(creds))
	}
	srv := grpc.NewServer(opts...)
	ps := &policyServer{}
	dirsyncv1.RegisterDirectoryQueryServer(srv, ps)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(lis)
	}()
	t.Cleanup(func() {
		srv.Stop()
		<-done
	})
	return ps, lis.Addr().String()
}

// policyFile writes a policy document and returns its path.
func policyFile(t *testing.T, doc string) string {
	path := filepath.Join(t.TempDir(), "policy.yaml")
	require.NoError(t, os.WriteFile(path, []byte(doc), 0o600))
	return path
}

// samplePolicy allows Engineering (by name, so through nesting platform too) and denies
// addresses at evil.example.
const samplePolicy = `- allow:
    or:
      - groups: {has: Engineering}
- deny:
    or:
      - email: {ends_with: "@evil.example"}
`

func TestCheck(t *testing.T) {
	_, addr := startPolicyServer(t, nil)
	policy := policyFile(t, samplePolicy)
	r := ctl(t, addr, "check", "--policy", policy, "--directory", "acme", "--user", "u1")
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Equal(t, ""+
		"decision        allow\n"+
		"directory       acme\n"+
		"user            u1\n"+
		"record version  42\n"+
		"\n"+
		"LINE  ACTION  CRITERION        VALUE          MATCHED\n"+
		"3     allow   groups.has       Engineering    yes\n"+
		"6     deny    email.ends_with  @evil.example  no\n", r.stdout)
	require.Empty(t, r.stderr)

	cases := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"--user", "u2"}, exitNegative, "dirsyncctl: policy denies user u2: a deny rule matched\n"},
		{[]string{"--user", "u3"}, exitNegative, "dirsyncctl: policy does not allow user u3: no allow rule matched\n"},
		{[]string{"--user", "nobody"}, exitNotFound, `dirsyncctl: NotFound: user "nobody" in directory "acme": not found`},
		{[]string{"--user", "u1", "--policy", policyFile(t, "bad\n")}, exitUsage, "InvalidArgument: policy: line 1: expected a list of rules"},
		{[]string{"--user", "u1", "--policy", filepath.Join(t.TempDir(), "missing.yaml")}, exitUsage, "--policy: open "},
		{[]string{"--policy", policy}, exitUsage, "check: --user is required"},
	}
	for _, c := range cases {
		args := append([]string{"check", "--policy", policy, "--directory", "acme"}, c.args...)
		r := ctl(t, addr, args...)
		require.Equal(t, c.code, r.code, "%v: %s", c.args, r.stderr)
		require.Contains(t, r.stderr, c.stderr, c.args)
	}
	r = ctl(t, addr, "check", "--policy", policy, "--directory", "acme", "--user", "u2")
	require.Contains(t, r.stdout, "decision        deny\n")

	r = ctl(t, addr, "-o", "json", "check", "--policy", policy, "--directory", "acme", "--user", "u2")
	require.Equal(t, exitNegative, r.code)
	r.code = 0
	got := jsonOf(t, r, &dirsyncv1.EvaluatePolicyResponse{})
	require.True(t, got.Denied)
	require.Len(t, got.Criteria, 2)
}

// TestCheckOnServer: the server's EvaluatePolicy over the seeded directory.
func TestCheckOnServer(t *testing.T) {
	ts := startServer(t)
	policy := policyFile(t, samplePolicy)
	cases := []struct {
		user   string
		code   int
		stdout string
		stderr string
	}{
		{"u1", exitOK, "decision        allow\n", ""},
		{"u2", exitOK, "decision        allow\n", ""}, // platform is nested in Engineering
		{"u3", exitNegative, "decision        deny\n", "dirsyncctl: policy does not allow user u3: no allow rule matched\n"},
		{"nobody", exitNotFound, "", `dirsyncctl: NotFound: user "nobody" in directory "acme"`},
	}
	for _, c := range cases {
		r := ctl(t, ts.addr, "check", "--policy", policy, "--directory", "acme", "--user", c.user)
		require.Equal(t, c.code, r.code, "%s: %s", c.user, r.stderr)
		require.Contains(t, r.stdout, c.stdout, c.user)
		require.Equal(t, c.stderr == "", r.stderr == "", r.stderr)
		require.Contains(t, r.stderr, c.stderr, c.user)
	}
	r := ctl(t, ts.addr, "check", "--policy", policy, "--directory", "acme", "--user", "u2")
	require.Regexp(t, `(?m)^3 +allow +groups\.has +Engineering +yes$`, r.stdout)
	require.Regexp(t, `(?m)^6 +deny +email\.ends_with +@evil\.example +no$`, r.stdout)

	// A policy naming no group of the directory does not compile: the server names the line.
	r = ctl(t, ts.addr, "check", "--policy", policyFile(t, "- allow:\n    or:\n      - groups: {has: Marketing}\n"),
		"--directory", "acme", "--user", "u1")
	require.Equal(t, exitUsage, r.code, r.stderr)
	require.Regexp(t, `InvalidArgument: policy: .*line 3`, r.stderr)
}
