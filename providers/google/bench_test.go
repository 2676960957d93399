package google

import (
	"testing"

	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/providertest"
)

// BenchmarkFullSync runs a full sync of 10,000 users and 1,000 groups against the fake on
// loopback, against the shared baseline (see providertest.BenchmarkSync).
func BenchmarkFullSync(b *testing.B) {
	f := newFake(b)
	minimum := 0
	for _, n := range bigDirectory(f, 10_000, 1_000) {
		minimum += n
	}
	providertest.BenchmarkSync(b, providertest.Bench{
		New:         func(b *testing.B) providers.Provider { return f.provider(b, nil) },
		Servers:     []*providertest.Server{f.srv},
		Concurrency: f.provider(b, nil).client.Concurrency(),
		MinRequests: minimum,
		Users:       10_000, Groups: 1_000,
	})
}
