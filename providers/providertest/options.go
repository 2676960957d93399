package providertest

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/dirsync/dirsync/providers"
)

// Type registers a provider package's types in a fresh registry with register, as
// dirsyncd does at start, and returns the type called name.
func Type(t testing.TB, register func(*providers.Registry), name string) *providers.Type {
	t.Helper()
	r := providers.NewRegistry()
	register(r)
	typ, err := r.Lookup(name)
	require.NoError(t, err)
	return typ
}

// NewFromOptions builds a provider of typ for the directory Dir from a directory's
// options, checked against the schema the way `dirsyncd validate` checks a config file.
// options is YAML text (a mapping, as under `options:`) or a value that encodes to one.
func NewFromOptions(t testing.TB, typ *providers.Type, options any) (providers.Provider, error) {
	t.Helper()
	var node yaml.Node
	if text, ok := options.(string); ok {
		require.NoError(t, yaml.Unmarshal([]byte(text), &node))
	} else {
		require.NoError(t, node.Encode(options))
	}
	n := &node
	if n.Kind == yaml.DocumentNode {
		n = n.Content[0]
	}
	return typ.New(n, providers.Deps{Directory: Dir})
}

// OptionsCase is one row of an option-validation table.
type OptionsCase struct {
	Name string
	// Options are the directory's options, as NewFromOptions takes them.
	Options any
	// WantErr is a part of the error the options must give; "" for none.
	WantErr string
}

// CheckOptions builds a provider of typ from each case's options with NewFromOptions, in
// a subtest per case. A case without WantErr must give a provider and no error; a case
// with WantErr must give an error that contains it and none of secrets (option values
// that must never reach an error).
func CheckOptions(t *testing.T, typ *providers.Type, cases []OptionsCase, secrets ...string) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			p, err := NewFromOptions(t, typ, tc.Options)
			if tc.WantErr == "" {
				require.NoError(t, err)
				require.NotNil(t, p)
				return
			}
			require.ErrorContains(t, err, tc.WantErr)
			for _, s := range secrets {
				require.NotContains(t, err.Error(), s, "a secret in the error")
			}
		})
	}
}
