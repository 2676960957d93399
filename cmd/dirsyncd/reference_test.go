package main

import (
	"bytes"
	"flag"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dirsync/dirsync/config"
	"github.com/dirsync/dirsync/providers/builtin"
)

var update = flag.Bool("update", false, "rewrite the generated part of docs/configuration.md")

const (
	referenceFile = "../../docs/configuration.md"
	beginTables   = "<!-- BEGIN provider options: generated from the registry by `go generate ./cmd/dirsyncd`; do not edit -->\n"
	endTables     = "<!-- END provider options -->\n"
)

// TestConfigurationReference fails when the provider option tables of docs/configuration.md
// differ from what the registry produces.
func TestConfigurationReference(t *testing.T) {
	doc, err := os.ReadFile(referenceFile)
	require.NoError(t, err)
	head, rest, ok := bytes.Cut(doc, []byte(beginTables))
	require.True(t, ok, "missing the line %q", beginTables)
	committed, tail, ok := bytes.Cut(rest, []byte(endTables))
	require.True(t, ok, "missing the line %q", endTables)
	var want bytes.Buffer
	want.WriteString("\n")
	writeOptionTables(&want, builtin.Registry())
	want.WriteString("\n")
	if *update {
		out := append(append(append(append(head, beginTables...), want.Bytes()...), endTables...), tail...)
		require.NoError(t, os.WriteFile(referenceFile, out, 0o644))
		return
	}
	require.Equal(t, want.String(), string(committed),
		"docs/configuration.md is out of date: run `go generate ./cmd/dirsyncd`")
}

// TestConfigurationKeysDocumented fails when a key of the configuration file is missing
// from docs/configuration.md (written `key.path` in backquotes).
func TestConfigurationKeysDocumented(t *testing.T) {
	doc, err := os.ReadFile(referenceFile)
	require.NoError(t, err)
	for _, key := range configKeys(reflect.TypeFor[config.Config](), "") {
		require.Contains(t, string(doc), "`"+key+"`", "docs/configuration.md does not document the key %s", key)
	}
}

// configKeys lists the dotted paths of a config struct's YAML keys ("listen.grpc",
// "directories[].polling.min_delay"). Provider options are documented by the tables.
func configKeys(t reflect.Type, prefix string) []string {
	var out []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		key := prefix + name
		out = append(out, key)
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case ft.Kind() == reflect.Struct && ft.PkgPath() == t.PkgPath():
			out = append(out, configKeys(ft, key+".")...)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct && ft.Elem().PkgPath() == t.PkgPath():
			out = append(out, configKeys(ft.Elem(), key+"[].")...)
		}
	}
	return out
}
