package entra

import (
	"maps"
	"slices"
	"strings"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
)

// fullResult is every user and group of st.
func (st *state) fullResult() *providers.Result {
	parents := st.parents()
	res := &providers.Result{Full: true,
		Users:  make([]*dirsyncv1.User, 0, len(st.Users)),
		Groups: make([]*dirsyncv1.Group, 0, len(st.Groups))}
	for _, id := range slices.Sorted(maps.Keys(st.Users)) {
		res.Users = append(res.Users, st.user(id, parents))
	}
	for _, id := range slices.Sorted(maps.Keys(st.Groups)) {
		res.Groups = append(res.Groups, st.group(id, parents))
	}
	return res
}

// deltaResult is what a's rounds changed: the touched users and groups that exist, whole,
// and the deleted ones that do not.
func (a *applier) deltaResult() *providers.Result {
	st, parents := a.st, a.st.parents()
	res := &providers.Result{}
	for _, id := range slices.Sorted(maps.Keys(a.touched)) {
		if _, ok := st.Users[id]; ok {
			res.Users = append(res.Users, st.user(id, parents))
		}
		if _, ok := st.Groups[id]; ok {
			res.Groups = append(res.Groups, st.group(id, parents))
		}
	}
	for _, id := range slices.Sorted(maps.Keys(a.deletedUsers)) {
		if _, ok := st.Users[id]; !ok {
			res.DeletedUsers = append(res.DeletedUsers, id)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(a.deletedGroups)) {
		if _, ok := st.Groups[id]; !ok {
			res.DeletedGroups = append(res.DeletedGroups, id)
		}
	}
	return res
}

// parents maps each member id to the sorted ids of the groups it is a direct member of.
func (st *state) parents() map[string][]string {
	out := map[string][]string{}
	for _, gid := range slices.Sorted(maps.Keys(st.Groups)) {
		for m := range st.Groups[gid].Members {
			out[m] = append(out[m], gid) // in gid order: sorted
		}
	}
	return out
}

// user is the record of user (or service principal) id. The id is Entra's object id, the
// oid claim of the user's tokens.
func (st *state) user(id string, parents map[string][]string) *dirsyncv1.User {
	u := st.Users[id]
	rec := &dirsyncv1.User{Id: id, DisplayName: u.DisplayName, GivenName: u.GivenName, FamilyName: u.Surname,
		State: accountState(u.Enabled), GroupIds: slices.Clone(parents[id])}
	if u.ServicePrincipal {
		rec.Username = u.AppID
		rec.Attributes = providers.Attributes(map[string]any{"object_type": "servicePrincipal", "service_principal_type": u.SPType})
		return rec
	}
	rec.Username = u.UPN
	rec.Email = email(u.Mail, u.UPN)
	rec.Attributes = providers.Attributes(map[string]any{"object_type": "user"})
	return rec
}

// group is the record of group id; its group_ids are the groups it is nested in.
func (st *state) group(id string, parents map[string][]string) *dirsyncv1.Group {
	g := st.Groups[id]
	return &dirsyncv1.Group{Id: id, Name: g.Name, Email: g.Mail, Description: g.Description,
		GroupIds: slices.Clone(parents[id])}
}

// accountState maps accountEnabled: an account that may not sign in is suspended.
func accountState(enabled *bool) dirsyncv1.UserState {
	switch {
	case enabled == nil:
		return dirsyncv1.UserState_USER_STATE_UNSPECIFIED
	case *enabled:
		return dirsyncv1.UserState_USER_STATE_ACTIVE
	}
	return dirsyncv1.UserState_USER_STATE_SUSPENDED
}

// email is a user's address: mail when set; else, for a guest, the address its user
// principal name was made from (alice_example.com#EXT#@tenant.onmicrosoft.com →
// alice@example.com); else the user principal name itself when it looks like an address.
func email(mail, upn string) string {
	if mail != "" {
		return mail
	}
	if i := strings.Index(strings.ToUpper(upn), "#EXT#"); i >= 0 {
		local := upn[:i]
		if j := strings.LastIndexByte(local, '_'); j > 0 && j < len(local)-1 {
			return local[:j] + "@" + local[j+1:]
		}
		return ""
	}
	if strings.Contains(upn, "@") {
		return upn
	}
	return ""
}
