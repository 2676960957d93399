package entra

import (
	"context"
	"time"

	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/apiclient"
)

// linkRefresh is how long a round that found no change may keep the saved deltaLinks
// (answering Unchanged, which writes nothing). After it the new links are saved, so that
// a quiet tenant's delta tokens never reach Graph's 7-day expiry.
const linkRefresh = 24 * time.Hour

// full reads a first round of every collection: the whole tenant.
func (p *provider) full(ctx context.Context) (*providers.Result, error) {
	from := links{Users: usersDelta, Groups: groupsDelta}
	if p.withSPs {
		from.ServicePrincipals = spsDelta
	}
	st := newState()
	next, _, err := p.rounds(ctx, from, false, st)
	if err != nil {
		return nil, err
	}
	res := st.fullResult()
	c := &cursor{Version: cursorVersion, GraphURL: p.graphURL, ServicePrincipals: p.withSPs, Links: next,
		Issued: time.Now().UTC(), State: st}
	if res.Cursor, err = c.encode(); err != nil {
		return nil, err
	}
	return res, nil
}

// delta reads the rounds that start at c's deltaLinks and applies them to c's state; raw
// is c encoded, returned as is when nothing changed.
func (p *provider) delta(ctx context.Context, c *cursor, raw []byte) (*providers.Result, error) {
	next, ap, err := p.rounds(ctx, c.Links, true, c.State)
	if err != nil {
		return nil, err
	}
	if ap.users+ap.groups == 0 && time.Since(c.Issued) < linkRefresh {
		return &providers.Result{Unchanged: true, Cursor: raw}, nil
	}
	res := ap.deltaResult()
	c.Links, c.Issued = next, time.Now().UTC()
	if res.Cursor, err = c.encode(); err != nil {
		return nil, err
	}
	return res, nil
}

// rounds reads one delta round of each collection from links, concurrently, and applies
// them to st: users and service principals first, then groups (whose members refer to
// them). It returns the new deltaLinks.
func (p *provider) rounds(ctx context.Context, from links, resumed bool, st *state) (links, *applier, error) {
	var (
		next   links
		users  []graphUser
		sps    []graphServicePrincipal
		groups []graphGroup
	)
	tasks := []func(context.Context) error{
		func(ctx context.Context) (err error) {
			next.Users, err = round(ctx, p.client, "users delta", from.Users, resumed, func(u *graphUser) { users = append(users, *u) })
			return err
		},
		func(ctx context.Context) (err error) {
			next.Groups, err = round(ctx, p.client, "groups delta", from.Groups, resumed, func(g *graphGroup) { groups = append(groups, *g) })
			return err
		},
	}
	if p.withSPs {
		tasks = append(tasks, func(ctx context.Context) (err error) {
			next.ServicePrincipals, err = round(ctx, p.client, "service principals delta", from.ServicePrincipals, resumed,
				func(sp *graphServicePrincipal) { sps = append(sps, *sp) })
			return err
		})
	}
	if err := apiclient.ForEach(ctx, p.client, len(tasks), func(ctx context.Context, i int) error { return tasks[i](ctx) }); err != nil {
		return links{}, nil, err
	}
	ap := newApplier(st, p.withSPs)
	for i := range users {
		ap.user(&users[i])
	}
	for i := range sps {
		ap.servicePrincipal(&sps[i])
	}
	for i := range groups {
		ap.group(&groups[i])
	}
	providers.ProgressFrom(ctx).Read(ap.users, ap.groups)
	return next, ap, nil
}
