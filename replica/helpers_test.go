package replica

import (
	"testing"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	typeUser  = dirsyncv1.RecordType_RECORD_TYPE_USER
	typeGroup = dirsyncv1.RecordType_RECORD_TYPE_GROUP
)

// userRec is an upsert of u, keyed by its directory and id.
func userRec(u *dirsyncv1.User) *dirsyncv1.Record {
	return &dirsyncv1.Record{Type: typeUser, Directory: u.Directory, Id: u.Id,
		Data: &dirsyncv1.Record_User{User: u}}
}

// member is an upsert of a user with only an id and direct groups.
func member(dir, id string, groups ...string) *dirsyncv1.Record {
	return userRec(&dirsyncv1.User{Directory: dir, Id: id, GroupIds: groups})
}

// groupRec is an upsert of g, keyed by its directory and id.
func groupRec(g *dirsyncv1.Group) *dirsyncv1.Record {
	return &dirsyncv1.Record{Type: typeGroup, Directory: g.Directory, Id: g.Id,
		Data: &dirsyncv1.Record_Group{Group: g}}
}

// nested is an upsert of a group with only an id and direct parents.
func nested(dir, id string, parents ...string) *dirsyncv1.Record {
	return groupRec(&dirsyncv1.Group{Directory: dir, Id: id, Name: id, GroupIds: parents})
}

// tombstone deletes the record of type t with that key; it carries no data.
func tombstone(t dirsyncv1.RecordType, dir, id string) *dirsyncv1.Record {
	return &dirsyncv1.Record{Type: t, Directory: dir, Id: id, Deleted: true}
}

// userIDs returns the ids of users, in order.
func userIDs(users []*dirsyncv1.User) []string {
	out := []string{}
	for _, u := range users {
		out = append(out, u.GetId())
	}
	return out
}

// groupIDs returns the ids of groups, in order.
func groupIDs(groups []*dirsyncv1.Group) []string {
	out := []string{}
	for _, g := range groups {
		out = append(out, g.GetId())
	}
	return out
}

// all is a query for the whole of a small list.
func all(dir string) Query { return Query{Directory: dir, Limit: 1000} }
