package entra

import (
	"testing"

	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/providertest"
)

// BenchmarkFullSync: a full sync of 10,000 users and 1,000 groups against the fake on
// loopback, against the shared baseline (see providertest.BenchmarkSync). The minimum is
// one token, the user pages and the group pages (members come inline, 999 a page).
func BenchmarkFullSync(b *testing.B) {
	f := newFakeEntra(b)
	users, groups, members := bigDirectory(f)
	providertest.BenchmarkSync(b, providertest.Bench{
		New:         func(b *testing.B) providers.Provider { return newTestProvider(b, f.options()) },
		Servers:     []*providertest.Server{f.login, f.graph},
		Concurrency: newTestProvider(b, f.options()).client.Concurrency(),
		MinRequests: 1 + providertest.CeilDiv(users, 999) + providertest.CeilDiv(groups+members, 999),
		Users:       users, Groups: groups,
	})
}
