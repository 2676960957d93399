package providers

import (
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Registry maps provider names to their types. It is the single source of option schemas:
// config validation, `dirsyncd providers` and the ListProviderTypes RPC all read it.
type Registry struct {
	types map[string]*Type
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{types: map[string]*Type{}} }

// Type is one kind of provider: its name, title, option schema and constructor.
type Type struct {
	Name    string
	Title   string
	Options []Option
	// build decodes checked options into the provider's options struct and constructs it.
	build func(node *yaml.Node, deps Deps) (Provider, error)
}

// Option describes one provider option.
type Option struct {
	Name        string
	Description string
	// Type is the value's kind: string, bool, int, duration or list.
	Type     string
	Required bool
	// Secret options are never printed, and also accept a NAME_file option holding a path to
	// a file with the value.
	Secret  bool
	Default string
}

// Deps is what a provider may use from the daemon.
type Deps struct {
	// Directory is the configured directory's name.
	Directory string
	Log       *slog.Logger
}

// Register adds a provider type whose options decode into O. Each exported field of O is an
// option described by its tags (an embedded struct tagged `yaml:",inline"` adds its own):
//
//	yaml:"name" desc:"what it is" required:"true" secret:"true" default:"value"
//
// Register panics on a duplicate name or a malformed options struct: both are programming
// errors found at start.
func Register[O any](r *Registry, name, title string, build func(O, Deps) (Provider, error)) {
	if _, dup := r.types[name]; dup {
		panic("providers: duplicate provider " + name)
	}
	t := &Type{Name: name, Title: title, Options: schemaOf(reflect.TypeFor[O]())}
	t.build = func(node *yaml.Node, deps Deps) (Provider, error) {
		var o O
		if err := t.decodeOptions(node, &o); err != nil {
			return nil, err
		}
		return build(o, deps)
	}
	r.types[name] = t
}

// Lookup returns the named type; the error lists the known names.
func (r *Registry) Lookup(name string) (*Type, error) {
	if t, ok := r.types[name]; ok {
		return t, nil
	}
	return nil, fmt.Errorf("unknown provider %q (known: %s)", name, strings.Join(r.Names(), ", "))
}

// Names returns the provider names, sorted.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.types))
	for n := range r.types {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Types returns every type, sorted by name.
func (r *Registry) Types() []*Type {
	out := make([]*Type, 0, len(r.types))
	for _, n := range r.Names() {
		out = append(out, r.types[n])
	}
	return out
}

// New checks options against the schema (unknown, missing and doubly given options; NAME_file
// for secrets; defaults) and constructs the provider. Errors name the option, never a secret
// value.
func (t *Type) New(options *yaml.Node, deps Deps) (Provider, error) {
	node, err := t.check(options)
	if err != nil {
		return nil, err
	}
	return t.build(node, deps)
}

// Option returns the named option.
func (t *Type) Option(name string) (Option, bool) {
	i := slices.IndexFunc(t.Options, func(o Option) bool { return o.Name == name })
	if i < 0 {
		return Option{}, false
	}
	return t.Options[i], true
}

// check returns a mapping node holding exactly the schema's options, secrets read from their
// files and defaults filled in.
func (t *Type) check(options *yaml.Node) (*yaml.Node, error) {
	values := map[string]*yaml.Node{}
	if options != nil && options.Kind != 0 && !(options.Kind == yaml.ScalarNode && options.Tag == "!!null") {
		if options.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("options: line %d: must be a mapping of option names to values", options.Line)
		}
		for i := 0; i+1 < len(options.Content); i += 2 {
			k, v := options.Content[i].Value, options.Content[i+1]
			if _, dup := values[k]; dup {
				return nil, fmt.Errorf("option %q: given twice", k)
			}
			values[k] = v
		}
	}
	for k, v := range values {
		if name, ok := strings.CutSuffix(k, "_file"); ok {
			if o, known := t.Option(name); known && o.Secret {
				if _, both := values[name]; both {
					return nil, fmt.Errorf("option %q: give either %s or %s, not both", name, name, k)
				}
				b, err := os.ReadFile(v.Value)
				if err != nil {
					return nil, fmt.Errorf("option %q: %w", k, err)
				}
				values[name] = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: strings.TrimRight(string(b), "\r\n")}
				delete(values, k)
				continue
			}
		}
		if _, known := t.Option(k); !known {
			names := make([]string, len(t.Options))
			for i, o := range t.Options {
				names[i] = o.Name
			}
			return nil, fmt.Errorf("unknown option %q (options of %s: %s)", k, t.Name, strings.Join(names, ", "))
		}
	}
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for _, o := range t.Options {
		v, ok := values[o.Name]
		if !ok && o.Default != "" {
			v, ok = &yaml.Node{Kind: yaml.ScalarNode, Value: o.Default}, true
		}
		if !ok || (v.Kind == yaml.ScalarNode && v.Value == "" && o.Type != "list") {
			if o.Required {
				return nil, fmt.Errorf("option %q: required (%s)", o.Name, o.Description)
			}
			continue
		}
		out.Content = append(out.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: o.Name}, v)
	}
	return out, nil
}

// decodeOptions decodes a checked options mapping into v one option at a time, so that an
// error names its option. yaml's message (which may quote the value) is kept only for
// options that are not secret.
func (t *Type) decodeOptions(node *yaml.Node, v any) error {
	for i := 0; i+1 < len(node.Content); i += 2 {
		k := node.Content[i]
		one := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{k, node.Content[i+1]}}
		if err := one.Decode(v); err != nil {
			o, _ := t.Option(k.Value)
			if o.Secret {
				return fmt.Errorf("option %q: must be a %s", k.Value, o.Type)
			}
			msg := err.Error()
			if j := strings.LastIndex(msg, ": cannot "); j >= 0 {
				msg = msg[j+2:]
			}
			return fmt.Errorf("option %q: %s", k.Value, msg)
		}
	}
	return nil
}

var durationType = reflect.TypeFor[time.Duration]()

// schemaOf reads an options struct's tags.
func schemaOf(t reflect.Type) []Option {
	if t.Kind() != reflect.Struct {
		panic("providers: options must be a struct, got " + t.String())
	}
	var out []Option
	for f := range t.Fields() {
		name, flags, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if f.Anonymous && flags == "inline" {
			out = append(out, schemaOf(f.Type)...) // shared options, e.g. apiclient.Options
			continue
		}
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		kind := "string"
		switch {
		case f.Type == durationType:
			kind = "duration"
		case f.Type.Kind() == reflect.Bool:
			kind = "bool"
		case f.Type.Kind() >= reflect.Int && f.Type.Kind() <= reflect.Uint64:
			kind = "int"
		case f.Type.Kind() == reflect.Slice:
			kind = "list"
		}
		out = append(out, Option{Name: name, Description: f.Tag.Get("desc"), Type: kind,
			Required: f.Tag.Get("required") == "true", Secret: f.Tag.Get("secret") == "true", Default: f.Tag.Get("default")})
	}
	return out
}
