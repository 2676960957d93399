package gitlab

import (
	"testing"

	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/providertest"
)

// BenchmarkFullSync syncs 5,000 users in 500 groups (ten of them with 320 direct members)
// from the fake over loopback, against the shared baseline (see
// providertest.BenchmarkSync).
func BenchmarkFullSync(b *testing.B) {
	o := bigDirectory(5000, 500, 320)
	f := newFakeGitLab(b, o...)
	minimum := 0
	for _, n := range minimumRequests(o, true) {
		minimum += n
	}
	providertest.BenchmarkSync(b, providertest.Bench{
		New:         func(b *testing.B) providers.Provider { return testProvider(b, f, Options{}) },
		Servers:     []*providertest.Server{f.srv},
		Concurrency: testProvider(b, f, Options{}).client.Concurrency(),
		MinRequests: minimum,
		Users:       5000, Groups: 500,
	})
}
