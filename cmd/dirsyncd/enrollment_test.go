package main

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dirsync/dirsync/config"
	"github.com/dirsync/dirsync/providers"
)

func TestEnrollmentOptions(t *testing.T) {
	cur := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32)))
	old := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("o", 32)))
	cfg, err := config.Parse([]byte("enrollment: {base_url: 'https://auth.example', secret: " + cur + ", previous_secrets: [" + old + "], device_types: [yubikey]}\n" +
		"directories: [{name: corp, provider: blob, enrollment_base_url: 'https://corp.example'}, {name: other, provider: blob}]\n"))
	require.NoError(t, err)
	opts, err := enrollmentOptions(cfg)
	require.NoError(t, err)
	require.Equal(t, "https://auth.example", opts.BaseURL)
	require.Equal(t, map[string]string{"corp": "https://corp.example"}, opts.DirectoryBaseURLs)
	require.Equal(t, [][]byte{[]byte(strings.Repeat("k", 32)), []byte(strings.Repeat("o", 32))}, opts.Secrets)
	require.Equal(t, []string{"yubikey"}, opts.DeviceTypes)

	var out bytes.Buffer
	describe(&out, cfg, providers.NewRegistry())
	require.Contains(t, out.String(), `enrollment: base_url "https://auth.example", secret (secret), 1 previous secret(s)`)
	require.Contains(t, out.String(), "enrollment_base_url: https://corp.example")
	require.NotContains(t, out.String(), cur)
	require.NotContains(t, out.String(), old)

	off, err := enrollmentOptions(config.Default())
	require.NoError(t, err)
	require.Empty(t, off.Secrets, "no secret: enrollment off")
}
