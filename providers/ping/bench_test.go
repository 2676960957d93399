package ping

import (
	"testing"

	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/providertest"
)

// BenchmarkFullSync reads a 5,000-user, 500-group environment from the fake over loopback
// against the shared baseline (see providertest.BenchmarkSync). The minimum counts the
// token request too: every benchmarked sync starts with a fresh provider.
func BenchmarkFullSync(b *testing.B) {
	f := newFake(b)
	f.directory(5000, 500)
	providertest.BenchmarkSync(b, providertest.Bench{
		New:         func(b *testing.B) providers.Provider { return newTestProvider(b, f) },
		Servers:     []*providertest.Server{f.srv},
		Concurrency: newTestProvider(b, f).client.Concurrency(),
		MinRequests: 1 + minimumRequests(5000, 500),
		Users:       5000, Groups: 500,
	})
}
