package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// example is one fenced code block of a document.
type example struct {
	file string
	line int
	lang string
	text string
	// skip is the reason given by a `<!-- not run: reason -->` line just before the block.
	skip string
}

var notRun = regexp.MustCompile(`^<!-- not run: (.+) -->$`)

// examples returns the yaml and sh blocks of the Markdown files under root.
func examples(t *testing.T, root string) []example {
	t.Helper()
	var out []example
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".md" {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		var cur *example
		prev := ""
		for n := 1; sc.Scan(); n++ {
			line := sc.Text()
			switch {
			case cur == nil && strings.HasPrefix(line, "```"):
				cur = &example{file: path, line: n, lang: strings.TrimPrefix(line, "```")}
				if m := notRun.FindStringSubmatch(strings.TrimSpace(prev)); m != nil {
					cur.skip = m[1]
				}
			case cur != nil && strings.TrimSpace(line) == "```":
				if cur.lang == "yaml" || cur.lang == "sh" {
					out = append(out, *cur)
				}
				cur = nil
			case cur != nil:
				cur.text += line + "\n"
			}
			if strings.TrimSpace(line) != "" {
				prev = line
			}
		}
		return sc.Err()
	})
	require.NoError(t, err)
	return out
}

// TestDocExamples runs every yaml and sh example of docs/ as printed: configurations go
// through `dirsyncd validate`, policies through `dirsyncctl check` against the quickstart
// directory, and shell blocks run (with bash -euo pipefail, from the repository root)
// against a quickstart instance on free ports. A block that cannot run offline says why
// in a `<!-- not run: reason -->` line just before it. A command documented to fail ends
// with `# exits N`.
func TestDocExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries and runs a quickstart instance")
	}
	docs := examples(t, "../../docs")
	require.NotEmpty(t, docs)
	env := startQuickstart(t, docs)
	for _, ex := range docs {
		name := fmt.Sprintf("%s:%d", strings.TrimPrefix(ex.file, "../../"), ex.line)
		t.Run(name, func(t *testing.T) {
			if ex.skip != "" {
				t.Skip(ex.skip)
			}
			switch ex.lang {
			case "yaml":
				env.yaml(t, ex)
			case "sh":
				env.shell(t, ex.text)
			}
		})
	}
}

// docEnv is what the examples run against.
type docEnv struct {
	bin                 string // directory of dirsyncd, dirsyncctl (and grpcurl when needed)
	grpc, http, metrics string // the quickstart instance's addresses
	root                string // the repository root
}

const grpcurlModule = "github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.3"

// startQuickstart builds the binaries and runs examples/quickstart.yaml on free ports with
// its store in a temporary directory, waiting for its first sync.
func startQuickstart(t *testing.T, docs []example) *docEnv {
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	env := &docEnv{bin: t.TempDir(), grpc: freeAddr(t), http: freeAddr(t), metrics: freeAddr(t), root: root}
	build := [][]string{{"go", "build", "-o", env.bin, "./cmd/dirsyncd", "./cmd/dirsyncctl"}}
	for _, ex := range docs {
		if ex.skip == "" && strings.Contains(ex.text, grpcurlModule) {
			build = append(build, []string{"go", "install", grpcurlModule})
			break
		}
	}
	for _, args := range build {
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Dir, cmd.Env = root, append(os.Environ(), "GOBIN="+env.bin)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s: %s", strings.Join(args, " "), out)
	}
	doc, err := os.ReadFile(filepath.Join(root, "examples/quickstart.yaml"))
	require.NoError(t, err)
	doc = bytes.ReplaceAll(doc, []byte("127.0.0.1:7070"), []byte(env.grpc))
	doc = bytes.ReplaceAll(doc, []byte(`"127.0.0.1:7080"`), []byte(`"`+env.http+`"`+"\n  metrics: \""+env.metrics+`"`))
	doc = bytes.ReplaceAll(doc, []byte("./data/quickstart.db"), []byte(filepath.Join(t.TempDir(), "quickstart.db")))
	cfgFile := filepath.Join(t.TempDir(), "quickstart.yaml")
	require.NoError(t, os.WriteFile(cfgFile, doc, 0o600))

	cmd := exec.Command(filepath.Join(env.bin, "dirsyncd"), "-config", cfgFile)
	cmd.Dir, cmd.Env = root, append(os.Environ(), "PWD="+root)
	runProcess(t, "quickstart", env.grpc, cmd)
	require.Eventually(t, func() bool {
		out, err := env.run(context.Background(), "go run ./cmd/dirsyncctl -o json status acme")
		return err == nil && strings.Contains(out, "SYNC_RESULT_SUCCESS")
	}, time.Minute, 200*time.Millisecond, "the quickstart did not sync")
	return env
}

// rewrite points a documented command line at the test's binaries and instance.
func (e *docEnv) rewrite(script string) string {
	r := strings.NewReplacer(
		"go run ./cmd/dirsyncctl", filepath.Join(e.bin, "dirsyncctl")+" -addr "+e.grpc,
		"go run ./cmd/dirsyncd", filepath.Join(e.bin, "dirsyncd"),
		"go run "+grpcurlModule, filepath.Join(e.bin, "grpcurl"),
		"127.0.0.1:7070", e.grpc,
		"127.0.0.1:7080", e.http,
		"127.0.0.1:7090", e.metrics,
	)
	var out []string
	exits := regexp.MustCompile(`^(.*\S)\s+# exits (\d+)$`)
	for _, line := range strings.Split(r.Replace(script), "\n") {
		if m := exits.FindStringSubmatch(line); m != nil {
			line = fmt.Sprintf("{ %s; } && exit 99 || test $? -eq %s", m[1], m[2])
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// run runs a script with bash from the repository root and returns its output.
func (e *docEnv) run(ctx context.Context, script string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", e.rewrite(script))
	cmd.Dir = e.root
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (e *docEnv) shell(t *testing.T, script string) {
	out, err := e.run(context.Background(), script)
	require.NoError(t, err, "the example failed:\n%s\noutput:\n%s", script, out)
}

// yaml checks a configuration with dirsyncd validate, or a policy (a YAML list) with
// dirsyncctl check against the quickstart's acme directory.
func (e *docEnv) yaml(t *testing.T, ex example) {
	for _, m := range regexp.MustCompile(`\$\{(\w+)\}`).FindAllStringSubmatch(ex.text, -1) {
		if _, set := os.LookupEnv(m[1]); !set {
			t.Setenv(m[1], placeholder(m[1]))
		}
	}
	var doc yaml.Node
	require.NoError(t, yaml.Unmarshal([]byte(os.ExpandEnv(ex.text)), &doc), "not YAML")
	file := filepath.Join(t.TempDir(), "example.yaml")
	require.NoError(t, os.WriteFile(file, []byte(ex.text), 0o600))
	if len(doc.Content) > 0 && doc.Content[0].Kind == yaml.SequenceNode {
		// Allowed (0) and denied (1) both mean the policy compiled.
		out, err := e.run(context.Background(), "go run ./cmd/dirsyncctl check --policy "+file+" --directory acme --user usr-1001 || test $? -eq 1")
		require.NoError(t, err, "the policy does not compile against the quickstart:\n%s", out)
		return
	}
	var out bytes.Buffer
	err := run([]string{"validate", "-config", file}, &out, &out)
	require.NoError(t, err, "dirsyncd validate rejects the example:\n%s", ex.text)
}

// placeholder is a value for an environment variable an example references: a valid
// base64 secret of 32 bytes for names ending in SECRET, else a plain token.
func placeholder(name string) string {
	if strings.HasSuffix(name, "SECRET") {
		return "ZGlyc3luYy1kb2NzLXBsYWNlaG9sZGVyLXNlY3JldC0zMmI="
	}
	return "placeholder-" + strings.ToLower(name)
}
