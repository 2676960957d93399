package onelogin

import (
	"testing"

	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/providertest"
)

// BenchmarkSync reads a 5,000-user / 500-group account from the fake over loopback, with
// group_source groups and roles, against the shared baseline (see
// providertest.BenchmarkSync). The API minimum is the one of TestRequestCount.
func BenchmarkSync(b *testing.B) {
	for _, bc := range []struct {
		source  string
		minimum int
	}{{"groups", 1 + 5 + 10}, {"roles", 1 + 5 + 1}} {
		b.Run(bc.source, func(b *testing.B) {
			f := newFake(b)
			f.populate(5000, 500)
			o := f.options()
			o.GroupSource = bc.source
			providertest.BenchmarkSync(b, providertest.Bench{
				New:         func(b *testing.B) providers.Provider { return newTestProvider(b, o, fast) },
				Servers:     []*providertest.Server{f.srv},
				Concurrency: newTestProvider(b, o, fast).client.Concurrency(),
				MinRequests: bc.minimum,
				Users:       5000, Groups: 500,
			})
		})
	}
}
