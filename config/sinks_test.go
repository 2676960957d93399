package config

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

func TestSinks(t *testing.T) {
	secret := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("s", 32)))
	t.Setenv("POMERIUM_SHARED_SECRET", secret)
	c, err := Parse([]byte(`
directories: [{name: corp, provider: blob}, {name: lab, provider: blob}]
sinks:
  - type: pomerium_databroker
    url: https://databroker:5443
    shared_secret: ${POMERIUM_SHARED_SECRET}
    directories: [corp, lab]
  - type: pomerium_databroker
    name: staging
    url: http://databroker.staging:5443
    shared_secret: ${POMERIUM_SHARED_SECRET}
    directories: [corp]
    reconcile_interval: 5m
`))
	require.NoError(t, err)
	require.Len(t, c.Sinks, 2)
	require.Equal(t, "databroker_5443", c.Sinks[0].Name, "default name: the URL's host and port")
	require.Equal(t, Duration(time.Hour), c.Sinks[0].ReconcileInterval)
	require.Equal(t, Duration(5*time.Minute), c.Sinks[1].ReconcileInterval)
	key, err := c.Sinks[0].Key(0)
	require.NoError(t, err)
	require.Equal(t, []byte(strings.Repeat("s", 32)), key)

	out, err := yaml.Marshal(c.Sinks)
	require.NoError(t, err)
	require.NotContains(t, string(out), secret, "the secret never prints")

	file := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(file, []byte(secret+"\n"), 0o600))
	c, err = Parse([]byte("directories: [{name: corp, provider: blob}]\nsinks: [{type: pomerium_databroker, url: 'http://db:5443', shared_secret_file: " + file + ", directories: [corp]}]\n"))
	require.NoError(t, err)
	key, err = c.Sinks[0].Key(0)
	require.NoError(t, err)
	require.Len(t, key, 32)
}

func TestSinkErrors(t *testing.T) {
	secret := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("s", 32)))
	short := base64.StdEncoding.EncodeToString([]byte("too short"))
	for _, tc := range []struct{ name, sink, want string }{
		{"unknown type", `{type: opa, url: "http://db:1", shared_secret: ` + secret + `, directories: [corp]}`, `sinks[0]: type: "opa" is not a sink type`},
		{"no url", `{type: pomerium_databroker, shared_secret: ` + secret + `, directories: [corp]}`, `sinks[0]: url: "" is not http(s)://host:port`},
		{"url with a path", `{type: pomerium_databroker, url: "https://db:1/x", shared_secret: ` + secret + `, directories: [corp]}`, `sinks[0]: url:`},
		{"no secret", `{type: pomerium_databroker, url: "http://db:1", directories: [corp]}`, `sinks[0]: shared_secret: required`},
		{"short secret", `{type: pomerium_databroker, url: "http://db:1", shared_secret: ` + short + `, directories: [corp]}`, `sinks[0]: shared_secret: 9 bytes, need at least 32`},
		{"bad secret", `{type: pomerium_databroker, url: "http://db:1", shared_secret: "not*base64*at*all-not*base64*at*all-not*base64", directories: [corp]}`, `sinks[0]: shared_secret: not standard base64`},
		{"both secrets", `{type: pomerium_databroker, url: "http://db:1", shared_secret: ` + secret + `, shared_secret_file: /x, directories: [corp]}`, `sinks[0]: set shared_secret or shared_secret_file, not both`},
		{"no directories", `{type: pomerium_databroker, url: "http://db:1", shared_secret: ` + secret + `}`, `sinks[0]: directories: required`},
		{"unknown directory", `{type: pomerium_databroker, url: "http://db:1", shared_secret: ` + secret + `, directories: [corp, hr]}`, `sinks[0]: directories[1]: "hr" is not a configured directory`},
		{"bad name", `{type: pomerium_databroker, name: "a/b", url: "http://db:1", shared_secret: ` + secret + `, directories: [corp]}`, `sinks[0]: name: must be 1-64`},
		{"missing ca file", `{type: pomerium_databroker, url: "https://db:1", shared_secret: ` + secret + `, directories: [corp], ca_file: /nonexistent/ca.pem}`, `sinks[0]: ca_file:`},
		{"negative interval", `{type: pomerium_databroker, url: "http://db:1", shared_secret: ` + secret + `, directories: [corp], reconcile_interval: -1m}`, `sinks[0]: reconcile_interval: must not be negative`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte("directories: [{name: corp, provider: blob}]\nsinks: [" + tc.sink + "]\n"))
			require.ErrorContains(t, err, tc.want)
			require.NotContains(t, err.Error(), secret)
		})
	}
	_, err := Parse([]byte(`directories: [{name: corp, provider: blob}]
sinks:
  - {type: pomerium_databroker, url: "http://db:1", shared_secret: ` + secret + `, directories: [corp]}
  - {type: pomerium_databroker, url: "http://db:1", shared_secret: ` + secret + `, directories: [corp]}
`))
	require.ErrorContains(t, err, `sinks[1]: name: "db_1" is also the name of sinks[0]`)
}
