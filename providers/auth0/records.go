package auth0

import (
	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
)

// profile is what the user listing and the export file both give of a user.
type profile struct {
	UserID     string `json:"user_id"`
	Email      string `json:"email"`
	Name       string `json:"name"`
	Nickname   string `json:"nickname"`
	GivenName  string `json:"given_name"`
	FamilyName string `json:"family_name"`
	Username   string `json:"username"`
	Blocked    bool   `json:"blocked"`
}

// record turns a listed user into a dirsync user.
func (u auth0User) record() *dirsyncv1.User { return u.profile.record(u.connection()) }

// record turns an exported user into a dirsync user.
func (u exportedUser) record() *dirsyncv1.User { return u.profile.record(u.Connection) }

// record turns a user of connection into a dirsync user. The id is user_id, the `sub` of
// the tokens Auth0 issues for the user.
func (p profile) record(connection string) *dirsyncv1.User {
	display := p.Name
	if display == "" {
		display = p.Nickname
	}
	state := dirsyncv1.UserState_USER_STATE_ACTIVE
	if p.Blocked {
		state = dirsyncv1.UserState_USER_STATE_SUSPENDED
	}
	return &dirsyncv1.User{Id: p.UserID, Email: p.Email, DisplayName: display, Username: p.Username,
		GivenName: p.GivenName, FamilyName: p.FamilyName, State: state,
		Attributes: providers.Attributes(map[string]any{"connection": connection})}
}
