package client

import (
	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/replica"
)

// Lookups read the current replica (see Replica); each call sees one applied version. They
// return store.ErrNotFound for a missing user or group. Returned messages are shared and must
// not be modified.

// User returns the directory's user with that id.
func (c *Client) User(directory, id string) (*dirsyncv1.User, error) {
	return c.Replica().User(directory, id)
}

// UserByEmail returns the directory's user with that email, ignoring case (the lowest id
// when several share it).
func (c *Client) UserByEmail(directory, email string) (*dirsyncv1.User, error) {
	return c.Replica().UserByEmail(directory, email)
}

// Group returns the directory's group with that id.
func (c *Client) Group(directory, id string) (*dirsyncv1.Group, error) {
	return c.Replica().Group(directory, id)
}

// GroupsByName returns the directory's groups named exactly name, sorted by id: several when
// the name is ambiguous.
func (c *Client) GroupsByName(directory, name string) []*dirsyncv1.Group {
	return c.Replica().GroupsByName(directory, name)
}

// IsMember reports whether the user is a member of the group, directly or through nested
// groups; false when either does not exist. It does not allocate.
func (c *Client) IsMember(directory, userID, groupID string) bool {
	return c.Replica().IsMember(directory, userID, groupID)
}

// EffectiveGroups returns the ids of the groups the user is a member of, directly or through
// nesting, sorted.
func (c *Client) EffectiveGroups(directory, userID string) ([]string, error) {
	r := c.Replica()
	var ids []string
	q := replica.Query{Directory: directory, Limit: 10_000}
	for {
		p, err := r.UserGroups(q, userID, true)
		if err != nil {
			return nil, err
		}
		for _, g := range p.Items {
			ids = append(ids, g.GetId())
		}
		if !p.More || len(p.Items) == 0 {
			return ids, nil
		}
		q.After = ids[len(ids)-1]
	}
}
