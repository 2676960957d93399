// Package builtin assembles the registry of every provider type dirsync ships. It holds no
// provider logic: adding a provider is one line here.
package builtin

import (
	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/auth0"
	"github.com/dirsync/dirsync/providers/blob"
	"github.com/dirsync/dirsync/providers/cognito"
	"github.com/dirsync/dirsync/providers/entra"
	"github.com/dirsync/dirsync/providers/github"
	"github.com/dirsync/dirsync/providers/gitlab"
	"github.com/dirsync/dirsync/providers/google"
	"github.com/dirsync/dirsync/providers/okta"
	"github.com/dirsync/dirsync/providers/onelogin"
	"github.com/dirsync/dirsync/providers/ping"
)

// Registry returns a registry of the built-in provider types.
func Registry() *providers.Registry {
	r := providers.NewRegistry()
	auth0.Register(r)
	blob.Register(r)
	cognito.Register(r)
	entra.Register(r)
	github.Register(r)
	gitlab.Register(r)
	google.Register(r)
	okta.Register(r)
	onelogin.Register(r)
	ping.Register(r)
	return r
}
