package auth0

import (
	"google.golang.org/protobuf/types/known/structpb"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// record turns a listed user into a dirsync user. The id is user_id, the `sub` of the
// tokens Auth0 issues for the user.
func (u auth0User) record() *dirsyncv1.User {
	return newUser(u.UserID, u.Email, u.Name, u.Nickname, u.GivenName, u.FamilyName, u.Username, u.Blocked, u.connection())
}

// record turns an exported user into a dirsync user.
func (u exportedUser) record() *dirsyncv1.User {
	return newUser(u.UserID, u.Email, u.Name, u.Nickname, u.GivenName, u.FamilyName, u.Username, u.Blocked, u.Connection)
}

func newUser(id, email, name, nickname, given, family, username string, blocked bool, connection string) *dirsyncv1.User {
	display := name
	if display == "" {
		display = nickname
	}
	state := dirsyncv1.UserState_USER_STATE_ACTIVE
	if blocked {
		state = dirsyncv1.UserState_USER_STATE_SUSPENDED
	}
	u := &dirsyncv1.User{Id: id, Email: email, DisplayName: display, Username: username,
		GivenName: given, FamilyName: family, State: state}
	if connection != "" {
		u.Attributes = &structpb.Struct{Fields: map[string]*structpb.Value{"connection": structpb.NewStringValue(connection)}}
	}
	return u
}
