package main

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dirsync/dirsync/enrollment"
	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

const testEnrollmentSecret = "dirsyncctl-test-enrollment-secret"

func TestEnroll(t *testing.T) {
	ts := startServer(t)
	r := ctl(t, ts.addr, "enroll", "u1", "--directory", "acme", "--type", "enclave_only", "--ttl", "72h")
	require.Equal(t, exitOK, r.code, r.stderr)
	link := strings.TrimSpace(r.stdout)
	require.True(t, strings.HasPrefix(link, "https://auth.acme.example/.pomerium/webauthn?pomerium_device_type=enclave_only&pomerium_enrollment_token="), link)
	u, err := url.Parse(link)
	require.NoError(t, err)
	_, exp, err := enrollment.Verify(u.Query().Get("pomerium_enrollment_token"), [][]byte{[]byte(testEnrollmentSecret)})
	require.NoError(t, err)
	require.WithinDuration(t, time.Now().Add(72*time.Hour), exp, time.Minute)
	require.Contains(t, r.stderr, "for u1 expires ")

	resp := jsonOf(t, ctl(t, ts.addr, "enroll", "u2", "--directory", "acme", "-o", "json", "--redirect", "https://app.acme.example"), &dirsyncv1.CreateEnrollmentLinkResponse{})
	require.Equal(t, "any", resp.Enrollment.DeviceType)
	require.Equal(t, "https://app.acme.example", resp.Enrollment.RedirectUrl)
	require.Contains(t, resp.Link, "pomerium_device_type=any&")

	for _, c := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"enroll", "nobody", "--directory", "acme"}, exitNotFound, "NotFound"},
		{[]string{"enroll", "u3", "--directory", "acme"}, exitError, "suspended"},
		{[]string{"enroll", "u1", "--directory", "acme", "--ttl", "1000h"}, exitUsage, "ttl"},
		{[]string{"enroll", "u1", "--directory", "acme", "--type", "laptop"}, exitUsage, "device_type"},
		{[]string{"enroll", "u1"}, exitUsage, "--directory is required"},
		{[]string{"enroll", "--directory", "acme"}, exitUsage, "wrong number of arguments"},
	} {
		r := ctl(t, ts.addr, c.args...)
		require.Equal(t, c.code, r.code, "%v: %s", c.args, r.stderr)
		require.Contains(t, r.stderr, c.stderr, c.args)
		require.Empty(t, r.stdout, c.args)
	}
}
