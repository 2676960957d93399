// Package builtin assembles the registry of every provider type dirsync ships. It holds no
// provider logic: adding a provider is one line here.
package builtin

import (
	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/blob"
)

// Registry returns a registry of the built-in provider types.
func Registry() *providers.Registry {
	r := providers.NewRegistry()
	blob.Register(r)
	return r
}
