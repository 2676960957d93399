package replica

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/stretchr/testify/require"
)

// TestConcurrentReadersAndWriter runs readers against a writer that keeps moving users
// between groups and re-parenting groups, always below root. Every read must see whole
// batches: every user is always a transitive member of root, and pages are sorted.
func TestConcurrentReadersAndWriter(t *testing.T) {
	const users, groups, rounds = 50, 6, 300
	r := New()
	var recs []*dirsyncv1.Record
	recs = append(recs, nested("corp", "root"))
	for g := range groups {
		recs = append(recs, nested("corp", fmt.Sprintf("g%d", g), "root"))
	}
	for u := range users {
		recs = append(recs, member("corp", fmt.Sprintf("u%02d", u), "g0"))
	}
	r.Apply(recs, 1)

	ctx, stop := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() {
		defer stop()
		for round := range rounds {
			// Chain g<k> under g<k-1>… under root, in an order that changes every round,
			// and move every user to another group.
			order := make([]string, groups)
			for g := range groups {
				order[g] = fmt.Sprintf("g%d", (g+round)%groups)
			}
			batch := []*dirsyncv1.Record{nested("corp", order[0], "root")}
			for i := 1; i < groups; i++ {
				batch = append(batch, nested("corp", order[i], order[i-1]))
			}
			for u := range users {
				batch = append(batch, member("corp", fmt.Sprintf("u%02d", u), fmt.Sprintf("g%d", (u+round)%groups)))
			}
			r.Apply(batch, uint64(round+2))
		}
	})

	failures := make(chan string, 4)
	reader := func(read func() string) {
		wg.Go(func() {
			for ctx.Err() == nil {
				if msg := read(); msg != "" {
					failures <- msg
					return
				}
			}
		})
	}
	reader(func() string {
		for u := range users {
			if !r.IsMember("corp", fmt.Sprintf("u%02d", u), "root") {
				return fmt.Sprintf("u%02d not in root", u)
			}
		}
		return ""
	})
	reader(func() string {
		p, err := r.GroupUsers(Query{Directory: "corp", Limit: 1000}, "root", true)
		if err != nil || len(p.Items) != users {
			return fmt.Sprintf("root has %d members at version %d (err %v)", len(p.Items), p.Version, err)
		}
		return ""
	})
	reader(func() string {
		p, err := r.UserGroups(Query{Directory: "corp", Limit: 1000}, "u07", true)
		ids := groupIDs(p.Items)
		if err != nil || !slices.IsSorted(ids) || !slices.Contains(ids, "root") {
			return fmt.Sprintf("effective groups of u07: %v (err %v)", ids, err)
		}
		return ""
	})
	reader(func() string {
		last := uint64(0)
		for after := ""; ; {
			p := r.Users(Query{Directory: "corp", After: after, Limit: 7})
			if p.Version < last {
				return "version went back"
			}
			last = p.Version
			if !p.More {
				return ""
			}
			after = p.Items[len(p.Items)-1].GetId()
		}
	})
	require.NoError(t, r.WaitForVersion(t.Context(), rounds+1))
	wg.Wait()
	close(failures)
	for msg := range failures {
		require.Fail(t, msg)
	}
}
