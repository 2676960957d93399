package cognito

import (
	"testing"

	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/providertest"
)

// BenchmarkFullSync reads a 5,000-user, 500-group pool from the fake over loopback against
// the shared baseline (see providertest.BenchmarkSync): the replay sends the requests as
// the provider SigV4-signed them.
func BenchmarkFullSync(b *testing.B) {
	f := newFake(b)
	f.directory(5000, 500)
	providertest.BenchmarkSync(b, providertest.Bench{
		New:         func(b *testing.B) providers.Provider { return newTestProvider(b, f.options()) },
		Servers:     []*providertest.Server{f.srv},
		Concurrency: newTestProvider(b, f.options()).client.Concurrency(),
		MinRequests: minimumRequests(5000, 500, 20),
		Users:       5000, Groups: 500,
	})
}
