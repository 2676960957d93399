package config

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

func TestEnrollment(t *testing.T) {
	key := func(b byte) string { return base64.StdEncoding.EncodeToString([]byte(strings.Repeat(string(b), 32))) }
	dir := t.TempDir()
	secretFile, prevFile := filepath.Join(dir, "secret"), filepath.Join(dir, "previous")
	require.NoError(t, os.WriteFile(secretFile, []byte(key('a')+"\n"), 0o600))
	require.NoError(t, os.WriteFile(prevFile, []byte("\n"+key('c')+"\n"), 0o600))

	doc := fmt.Sprintf(`enrollment:
  base_url: https://auth.example.com
  secret_file: %s
  previous_secrets: [%q]
  previous_secrets_file: %s
  device_types: [yubikey]
directories: [{name: corp, provider: blob, enrollment_base_url: "https://corp.example.com"}]
`, secretFile, key('b'), prevFile)
	c, err := Parse([]byte(doc))
	require.NoError(t, err)
	keys, err := c.Enrollment.Keys()
	require.NoError(t, err)
	require.Equal(t, [][]byte{[]byte(strings.Repeat("a", 32)), []byte(strings.Repeat("b", 32)), []byte(strings.Repeat("c", 32))}, keys)
	require.Equal(t, "https://corp.example.com", c.Directories[0].EnrollmentBaseURL)
	require.Equal(t, []string{"yubikey"}, c.Enrollment.DeviceTypes)

	// Secrets never print.
	out, err := yaml.Marshal(c.Enrollment)
	require.NoError(t, err)
	require.NotContains(t, string(out), key('b'))
	require.NotContains(t, fmt.Sprintf("%v %+v", c.Enrollment, c.Enrollment), key('b'))

	off, err := Parse(nil)
	require.NoError(t, err)
	keys, err = off.Enrollment.Keys()
	require.NoError(t, err)
	require.Nil(t, keys)

	for doc, want := range map[string]string{
		"enrollment: {secret: c2hvcnQ=}\n":                                       "enrollment.secret: 5 bytes, need at least 32",
		"enrollment: {secret: '!!'}\n":                                           "enrollment.secret: not standard base64",
		"enrollment: {base_url: https://x}\n":                                    "enrollment.secret: required",
		"enrollment: {secret: " + key('a') + ", base_url: 'ftp://x'}\n":          "enrollment.base_url",
		"enrollment: {secret: " + key('a') + ", device_types: [any]}\n":          "enrollment.device_types[0]",
		"enrollment: {secret: " + key('a') + ", secret_file: /nonexistent}\n":    "not both",
		"enrollment: {secret_file: /nonexistent/secret}\n":                       "enrollment.secret_file",
		"enrollment: {secret: " + key('a') + ", previous_secrets: [c2hvcnQ=]}\n": "enrollment.previous_secrets[0]",
	} {
		_, err := Parse([]byte(doc))
		require.ErrorContains(t, err, want, doc)
		require.NotContains(t, err.Error(), key('a'), "errors never hold a secret")
	}
}
