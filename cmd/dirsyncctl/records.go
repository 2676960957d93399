package main

import (
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// usersTable prints users, one per row.
func (e *env) usersTable(users []*dirsyncv1.User) error {
	t := e.table("ID", "EMAIL", "DISPLAY NAME", "STATE", "GROUPS")
	for _, u := range users {
		t.row(u.Id, u.Email, u.DisplayName, userStateText(u.State), listText(u.GroupIds))
	}
	return t.flush()
}

// groupsTable prints groups, one per row; PARENTS are the groups each is a direct member of.
func (e *env) groupsTable(groups []*dirsyncv1.Group) error {
	t := e.table("ID", "NAME", "EMAIL", "PARENTS")
	for _, g := range groups {
		t.row(g.Id, g.Name, g.Email, listText(g.GroupIds))
	}
	return t.flush()
}

// userRows describes one user, a row per field.
func (e *env) userRows(u *dirsyncv1.User, version uint64) error {
	t := e.table()
	t.row("id", u.Id)
	t.row("directory", u.Directory)
	t.row("display name", u.DisplayName)
	t.row("email", u.Email)
	t.row("username", u.Username)
	t.row("given name", u.GivenName)
	t.row("family name", u.FamilyName)
	t.row("state", userStateText(u.State))
	t.row("groups", listText(u.GroupIds))
	t.row("effective groups", listText(u.EffectiveGroupIds))
	t.row("attributes", attributesText(u.Attributes))
	t.row("record version", uintText(version))
	return t.flush()
}

// groupRows describes one group, a row per field.
func (e *env) groupRows(g *dirsyncv1.Group, version uint64) error {
	t := e.table()
	t.row("id", g.Id)
	t.row("directory", g.Directory)
	t.row("name", g.Name)
	t.row("email", g.Email)
	t.row("description", g.Description)
	t.row("parents", listText(g.GroupIds))
	t.row("ancestors", listText(g.EffectiveGroupIds))
	t.row("attributes", attributesText(g.Attributes))
	t.row("record version", uintText(version))
	return t.flush()
}

func userStateText(s dirsyncv1.UserState) string { return enumText(s.String(), "USER_STATE_") }

// attributesText is the attributes as compact JSON, or "" when there are none.
func attributesText(a *structpb.Struct) string {
	if len(a.GetFields()) == 0 {
		return ""
	}
	b, err := protojson.Marshal(a)
	if err != nil {
		return err.Error()
	}
	return compactJSON(b)
}
