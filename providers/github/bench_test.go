package github

import (
	"testing"

	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/providertest"
)

// BenchmarkFullSync syncs 5,000 members and 500 teams (ten of them with 320 members) from
// the fake over loopback, against the shared baseline (see providertest.BenchmarkSync).
// The minimum is what GraphQL allows for this directory: member and team pages of 100, and
// the follow-up pages of the teams with more than 100 members.
func BenchmarkFullSync(b *testing.B) {
	o := bigOrg("acme", 5000, 500, 320)
	f := newFakeGitHub(b, "", o)
	follow := 0
	for _, tm := range o.Teams {
		follow += max(0, providertest.CeilDiv(len(tm.Members), 100)-1)
	}
	options := Options{Orgs: []string{"acme"}}
	providertest.BenchmarkSync(b, providertest.Bench{
		New:         func(b *testing.B) providers.Provider { return testProvider(b, f, options) },
		Servers:     []*providertest.Server{f.srv},
		Concurrency: testProvider(b, f, options).client.Concurrency(),
		MinRequests: providertest.CeilDiv(len(o.Members), 100) + providertest.CeilDiv(len(o.Teams), 100) + follow,
		Users:       5000, Groups: 500,
	})
}
