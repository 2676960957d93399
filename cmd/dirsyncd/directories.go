package main

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/dirsync/dirsync/config"
	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/syncer"
)

// directories builds the syncer's directories from the configuration: the second decoding
// pass, where each provider type checks its own options. Errors name the directory.
func directories(cfg config.Config, reg *providers.Registry, log *slog.Logger) ([]syncer.Directory, error) {
	var out []syncer.Directory
	for _, d := range cfg.Directories {
		t, err := reg.Lookup(d.Provider)
		if err != nil {
			return nil, fmt.Errorf("directory %q: provider: %w", d.Name, err)
		}
		src, err := t.New(&d.Options, providers.Deps{Directory: d.Name, Log: log.With("directory", d.Name)})
		if err != nil {
			return nil, fmt.Errorf("directory %q: %w", d.Name, err)
		}
		out = append(out, syncer.Directory{
			Name:     d.Name,
			Provider: d.Provider,
			Source:   src,
			Polling: syncer.Polling{MinDelay: time.Duration(d.Polling.MinDelay), MaxDelay: time.Duration(d.Polling.MaxDelay),
				Timeout: time.Duration(d.Polling.Timeout), FullSyncInterval: time.Duration(d.FullSyncInterval)},
			Safety: syncer.Safety{MaxDeleteFraction: *d.Safety.MaxDeleteFraction},
		})
	}
	return out, nil
}

// describe writes a summary of a valid configuration. Secret option values are never
// written.
func describe(w io.Writer, cfg config.Config, reg *providers.Registry) {
	fmt.Fprintf(w, "listen: grpc %s, http %s\n", cfg.Listen.GRPC, cfg.Listen.HTTP)
	fmt.Fprintf(w, "storage: %s %s\n", cfg.Storage.Driver, cfg.Storage.Path)
	fmt.Fprintf(w, "retention: %s\n", time.Duration(cfg.Retention))
	if e := cfg.Enrollment; e.Enabled() {
		fmt.Fprintf(w, "enrollment: base_url %q, secret (secret), %d previous secret(s)%s, device types %v\n",
			e.BaseURL, len(e.PreviousSecrets), map[bool]string{true: " + previous_secrets_file"}[e.PreviousSecretsFile != ""], e.DeviceTypes)
	}
	for _, d := range cfg.Directories {
		t, _ := reg.Lookup(d.Provider)
		fmt.Fprintf(w, "directory %q: provider %s, polling min %s max %s timeout %s, full sync every %s, max delete fraction %g\n",
			d.Name, d.Provider, time.Duration(d.Polling.MinDelay), time.Duration(d.Polling.MaxDelay),
			time.Duration(d.Polling.Timeout), time.Duration(d.FullSyncInterval), *d.Safety.MaxDeleteFraction)
		if d.EnrollmentBaseURL != "" {
			fmt.Fprintf(w, "  enrollment_base_url: %s\n", d.EnrollmentBaseURL)
		}
		for i := 0; i+1 < len(d.Options.Content); i += 2 {
			k, v := d.Options.Content[i].Value, d.Options.Content[i+1]
			val := "(secret)"
			if o, ok := t.Option(k); (!ok || !o.Secret) && v.Kind == yaml.ScalarNode {
				val = v.Value
			} else if !ok || !o.Secret {
				val = "(" + kindName(v) + ")"
			}
			fmt.Fprintf(w, "  %s: %s\n", k, val)
		}
	}
}

func kindName(n *yaml.Node) string {
	if n.Kind == yaml.SequenceNode {
		return "list"
	}
	return "mapping"
}

// printProviders writes every provider type and its options.
func printProviders(w io.Writer, reg *providers.Registry) {
	for _, t := range reg.Types() {
		fmt.Fprintf(w, "%s — %s\n", t.Name, t.Title)
		for _, o := range t.Options {
			var flags []string
			if o.Required {
				flags = append(flags, "required")
			}
			if o.Secret {
				flags = append(flags, "secret, or "+o.Name+"_file")
			}
			if o.Default != "" {
				flags = append(flags, "default "+o.Default)
			}
			attrs := o.Type
			if len(flags) > 0 {
				attrs += "; " + strings.Join(flags, "; ")
			}
			fmt.Fprintf(w, "  %-24s %s (%s)\n", o.Name, o.Description, attrs)
		}
	}
}
