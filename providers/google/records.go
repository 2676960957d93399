package google

import (
	"slices"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
)

// assemble turns the listings into dirsync records, sorted by id with sorted group_ids.
// members[i] are the direct members of groups[i]. Memberships become group_ids:
//   - a USER member that is a listed user: the group is one of the user's direct groups;
//   - a USER or EXTERNAL member that is not (an account outside the domain or customer): a
//     user record with only id and email, state unspecified and attribute external=true;
//   - a GROUP member: a group→group edge (the member group's group_ids gets the group); a
//     group that is not listed (another customer's) becomes a group record with only id and
//     email and attribute external=true;
//   - a CUSTOMER member (everyone in the account): every listed user is a direct member.
//
// Members without an id, and of other types, are ignored. Transitive membership is left to
// the syncer.
func assemble(users []apiUser, groups []apiGroup, members [][]apiMember) ([]*dirsyncv1.User, []*dirsyncv1.Group) {
	us := map[string]*dirsyncv1.User{}
	for _, u := range users {
		if u.ID != "" {
			us[u.ID] = userRecord(u)
		}
	}
	gs := map[string]*dirsyncv1.Group{}
	for _, g := range groups {
		if g.ID != "" {
			gs[g.ID] = &dirsyncv1.Group{Id: g.ID, Name: g.Name, Email: g.Email, Description: g.Description}
		}
	}
	var everyone []string
	for i, g := range groups {
		if g.ID == "" {
			continue
		}
		for _, m := range members[i] {
			if m.ID == "" {
				continue
			}
			switch m.Type {
			case memberUser, memberExternal:
				u, ok := us[m.ID]
				if !ok {
					u = &dirsyncv1.User{Id: m.ID, Email: m.Email, Attributes: external()}
					us[m.ID] = u
				}
				u.GroupIds = append(u.GroupIds, g.ID)
			case memberGroup:
				child, ok := gs[m.ID]
				if !ok {
					child = &dirsyncv1.Group{Id: m.ID, Name: m.Email, Email: m.Email, Attributes: external()}
					gs[m.ID] = child
				}
				child.GroupIds = append(child.GroupIds, g.ID)
			case memberCustomer:
				everyone = append(everyone, g.ID)
			}
		}
	}
	if len(everyone) > 0 {
		for _, u := range users {
			if r := us[u.ID]; r != nil {
				r.GroupIds = append(r.GroupIds, everyone...)
			}
		}
	}
	outUsers := make([]*dirsyncv1.User, 0, len(us))
	for _, u := range us {
		u.GroupIds = sortedSet(u.GroupIds)
		outUsers = append(outUsers, u)
	}
	outGroups := make([]*dirsyncv1.Group, 0, len(gs))
	for _, g := range gs {
		g.GroupIds = sortedSet(g.GroupIds)
		outGroups = append(outGroups, g)
	}
	slices.SortFunc(outUsers, func(a, b *dirsyncv1.User) int { return strings.Compare(a.Id, b.Id) })
	slices.SortFunc(outGroups, func(a, b *dirsyncv1.Group) int { return strings.Compare(a.Id, b.Id) })
	return outUsers, outGroups
}

// userRecord maps a listed user. Suspended and archived users may not sign in.
func userRecord(u apiUser) *dirsyncv1.User {
	state := dirsyncv1.UserState_USER_STATE_ACTIVE
	if u.Suspended || u.Archived {
		state = dirsyncv1.UserState_USER_STATE_SUSPENDED
	}
	attrs := map[string]any{"org_unit_path": u.OrgUnitPath, "suspension_reason": u.SuspensionReason}
	if u.IsAdmin {
		attrs["is_admin"] = true
	}
	if u.Archived {
		attrs["archived"] = true
	}
	return &dirsyncv1.User{Id: u.ID, Email: u.PrimaryEmail, Username: u.PrimaryEmail, DisplayName: u.Name.FullName,
		GivenName: u.Name.GivenName, FamilyName: u.Name.FamilyName, State: state, Attributes: providers.Attributes(attrs)}
}

// external marks a record made from a member that is not in the account's listings.
func external() *structpb.Struct {
	return providers.Attributes(map[string]any{"external": true})
}

func sortedSet(ids []string) []string {
	slices.Sort(ids)
	return slices.Compact(ids)
}
