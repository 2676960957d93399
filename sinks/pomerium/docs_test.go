package pomerium

import (
	"encoding/base64"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dirsync/dirsync/sinks/pomerium/pomeriumtest"
	"github.com/dirsync/dirsync/store/memory"
)

// grpcurlModule is how docs/pomerium.md runs grpcurl; the test runs the grpcurl on PATH.
const grpcurlModule = "github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.3"

// TestDocsCommands runs the token and grpcurl commands of docs/pomerium.md, as printed but
// for the databroker's address and grpcurl's path, against the fake databroker: with the right secret they list
// the pushed records, with another one they are refused. It skips without grpcurl, openssl
// or xxd on PATH.
func TestDocsCommands(t *testing.T) {
	for _, tool := range []string{"grpcurl", "openssl", "xxd", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not on PATH", tool)
		}
	}
	doc, err := os.ReadFile("../../docs/pomerium.md")
	require.NoError(t, err)
	const start = "```sh\nexport POMERIUM_SHARED_SECRET=…   # the base64 shared secret\n"
	_, script, ok := strings.Cut(string(doc), start)
	require.True(t, ok, "the grpcurl section of docs/pomerium.md")
	script, _, _ = strings.Cut(script, "```")

	st := memory.New()
	t.Cleanup(func() { _ = st.Close() })
	key := newKey(t)
	f := pomeriumtest.Start(t, key)
	apply(t, st, dir, user(dir, "usr-1001", "Alice Nguyen", "grp-everyone", "grp-platform"), group(dir, "grp-platform", "Platform"))
	r := runSink(t, st, f, key, []string{dir}, nil)
	caughtUp(t, r, st)
	script = strings.NewReplacer("databroker:5443", f.Addr, "go run "+grpcurlModule, "grpcurl").Replace(script)

	run := func(secret []byte) (string, error) {
		cmd := exec.Command("bash", "-euc", script)
		cmd.Dir = "../.."
		cmd.Env = append(os.Environ(), "POMERIUM_SHARED_SECRET="+base64.StdEncoding.EncodeToString(secret))
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run(key)
	require.NoError(t, err, out)
	require.Contains(t, out, `"id": "usr-1001"`)
	require.Contains(t, out, `"grp-platform"`)
	require.Contains(t, out, `"name": "Platform"`)
	require.Contains(t, out, `"serverVersion"`)
	out, err = run(newKey(t))
	require.Error(t, err)
	require.Contains(t, out, "Unauthenticated")
}
