package auth0

import (
	"testing"

	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/providertest"
)

// BenchmarkSync reads a 5,000-user / 500-role tenant from the fake over loopback against
// the shared baseline (see providertest.BenchmarkSync). The API minimum is the one of
// TestRequestCount.
func BenchmarkSync(b *testing.B) {
	f := newFake(b)
	f.populate(5000, 500)
	const apiMinimum = 1 + 1 + 1 + 3 + 1 + 5 + 500 // token, users page, export create, 3 polls, download, roles, members
	providertest.BenchmarkSync(b, providertest.Bench{
		New:         func(b *testing.B) providers.Provider { return newTestProvider(b, f.options(), fast) },
		Servers:     []*providertest.Server{f.api, f.download},
		Concurrency: newTestProvider(b, f.options(), fast).client.Concurrency(),
		MinRequests: apiMinimum,
		Users:       5000, Groups: 500,
	})
}
