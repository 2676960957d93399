package entra

import (
	"encoding/json"
	"maps"
	"slices"
)

// state is what dirsync knows of the tenant after a delta round: every user (and service
// principal) and group with the properties it reads, and each group's direct members.
//
// It travels in the cursor because a delta round names only what changed: a membership
// change arrives as the group's members@delta, never on the user, yet the syncer replaces
// a user record whole, so the user's properties and all its other groups must come from
// somewhere. Keeping them in the cursor (saved in the same transaction as the records)
// keeps state and store in step across restarts and replicas, without a request per user.
type state struct {
	Users  map[string]*userState  `json:"users"`
	Groups map[string]*groupState `json:"groups"`
}

// userState is a user's or a service principal's properties. Names are short: the cursor
// holds one per user.
type userState struct {
	DisplayName string `json:"n,omitempty"`
	Mail        string `json:"m,omitempty"`
	UPN         string `json:"u,omitempty"`
	GivenName   string `json:"g,omitempty"`
	Surname     string `json:"s,omitempty"`
	Enabled     *bool  `json:"e,omitempty"`
	// Service principals only.
	ServicePrincipal bool   `json:"sp,omitempty"`
	AppID            string `json:"a,omitempty"`
	SPType           string `json:"t,omitempty"`
}

// groupState is a group's properties and direct members (users, service principals and
// groups, by id).
type groupState struct {
	Name        string    `json:"n,omitempty"`
	Mail        string    `json:"m,omitempty"`
	Description string    `json:"d,omitempty"`
	Members     memberSet `json:"r,omitempty"`
}

func newState() *state {
	return &state{Users: map[string]*userState{}, Groups: map[string]*groupState{}}
}

// memberSet is a set of member ids, encoded as a sorted JSON array.
type memberSet map[string]struct{}

func (m memberSet) MarshalJSON() ([]byte, error) {
	return json.Marshal(slices.Sorted(maps.Keys(m)))
}

func (m *memberSet) UnmarshalJSON(b []byte) error {
	var ids []string
	if err := json.Unmarshal(b, &ids); err != nil {
		return err
	}
	*m = make(memberSet, len(ids))
	for _, id := range ids {
		(*m)[id] = struct{}{}
	}
	return nil
}

// applier applies the objects of delta rounds to a state and notes what they touched.
type applier struct {
	st      *state
	withSPs bool

	touched       map[string]bool // users and groups whose record may have changed
	deletedUsers  map[string]bool
	deletedGroups map[string]bool
	users, groups int // objects read
}

func newApplier(st *state, withSPs bool) *applier {
	return &applier{st: st, withSPs: withSPs, touched: map[string]bool{},
		deletedUsers: map[string]bool{}, deletedGroups: map[string]bool{}}
}

// user applies one object of /users/delta.
func (a *applier) user(u *graphUser) {
	a.users++
	if u.Removed != nil {
		a.removeUser(u.ID)
		return
	}
	a.st.Users[u.ID] = &userState{DisplayName: u.DisplayName, Mail: u.Mail, UPN: u.UserPrincipalName,
		GivenName: u.GivenName, Surname: u.Surname, Enabled: u.AccountEnabled}
	a.touched[u.ID] = true
}

// servicePrincipal applies one object of /servicePrincipals/delta.
func (a *applier) servicePrincipal(sp *graphServicePrincipal) {
	a.users++
	if sp.Removed != nil {
		a.removeUser(sp.ID)
		return
	}
	a.st.Users[sp.ID] = &userState{DisplayName: sp.DisplayName, Enabled: sp.AccountEnabled,
		ServicePrincipal: true, AppID: sp.AppID, SPType: sp.ServicePrincipalType}
	a.touched[sp.ID] = true
}

// removeUser deletes a user and its memberships (no other record changes with them).
func (a *applier) removeUser(id string) {
	delete(a.st.Users, id)
	for _, g := range a.st.Groups {
		delete(g.Members, id)
	}
	a.deletedUsers[id] = true
}

// group applies one object of /groups/delta: its properties replace the group's, and its
// members@delta entries add or remove members. Each member added or removed is touched:
// its record's group_ids change.
func (a *applier) group(g *graphGroup) {
	a.groups++
	if g.Removed != nil {
		a.removeGroup(g.ID)
		return
	}
	cur := a.st.Groups[g.ID]
	if cur == nil {
		cur = &groupState{Members: memberSet{}}
		a.st.Groups[g.ID] = cur
	}
	cur.Name, cur.Mail, cur.Description = g.DisplayName, g.Mail, g.Description
	for _, m := range g.Members {
		if !a.tracked(m.Type) || m.ID == "" {
			continue
		}
		if m.Removed != nil {
			delete(cur.Members, m.ID)
		} else {
			cur.Members[m.ID] = struct{}{}
		}
		a.touched[m.ID] = true
	}
	a.touched[g.ID] = true
}

// removeGroup deletes a group: its members (users and child groups) lose it from their
// group_ids, and it leaves the groups it was a member of.
func (a *applier) removeGroup(id string) {
	if cur := a.st.Groups[id]; cur != nil {
		for m := range cur.Members {
			a.touched[m] = true
		}
	}
	delete(a.st.Groups, id)
	for _, g := range a.st.Groups {
		delete(g.Members, id)
	}
	a.deletedGroups[id] = true
}

// tracked reports whether members of an @odata.type become records: users, groups, and
// service principals when they are read. Devices and contacts are not.
func (a *applier) tracked(typ string) bool {
	switch typ {
	case typeUser, typeGroup:
		return true
	case typeServicePrincipal:
		return a.withSPs
	}
	return false
}
