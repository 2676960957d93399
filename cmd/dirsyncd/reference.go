package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/dirsync/dirsync/providers"
)

//go:generate go test -run TestConfigurationReference -update .

// writeOptionTables writes a Markdown table of each provider type's options: the part of
// docs/configuration.md that is generated from the registry (`dirsyncd providers
// -markdown`).
func writeOptionTables(w io.Writer, reg *providers.Registry) {
	for i, t := range reg.Types() {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "### `%s` — %s\n\n", t.Name, t.Title)
		fmt.Fprintln(w, "| Option | Type | Required | Default | Description |")
		fmt.Fprintln(w, "|---|---|---|---|---|")
		for _, o := range t.Options {
			name := "`" + o.Name + "`"
			if o.Secret {
				name += " (secret; or `" + o.Name + "_file`)"
			}
			def := ""
			if o.Default != "" {
				def = "`" + o.Default + "`"
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", name, o.Type, map[bool]string{true: "yes"}[o.Required], def,
				strings.ReplaceAll(o.Description, "|", `\|`))
		}
	}
}
