package okta

import (
	"testing"

	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/providertest"
)

// BenchmarkFullSync10k reads an org of 10,000 users and 1,000 groups from the fake over
// loopback against the shared baseline (see providertest.BenchmarkSync).
func BenchmarkFullSync10k(b *testing.B) {
	f := newFakeOkta(b)
	populate(f, 10000, 1000)
	minimum := 0
	for _, n := range minimumRequests(f) {
		minimum += n
	}
	providertest.BenchmarkSync(b, providertest.Bench{
		New:         func(b *testing.B) providers.Provider { return newTest(b, f, tokenAuth(f)) },
		Servers:     []*providertest.Server{f.srv},
		Concurrency: newTest(b, f, tokenAuth(f)).client.Concurrency(),
		MinRequests: minimum,
		Users:       10000, Groups: 1000,
	})
}
