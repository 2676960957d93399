package cognito

import (
	"fmt"
	"strings"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
)

// userRecord returns the dirsync user of a Cognito user, keyed by its sub (the id in the
// pool's ID and access tokens). Group ids are added later.
func userRecord(u *userType) (*dirsyncv1.User, error) {
	sub := u.attr("sub")
	if sub == "" {
		return nil, fmt.Errorf("users: user %q has no sub attribute", u.Username)
	}
	given, family := u.attr("given_name"), u.attr("family_name")
	display := u.attr("name")
	if display == "" {
		display = strings.TrimSpace(given + " " + family)
	}
	if display == "" {
		display = u.attr("preferred_username")
	}
	if display == "" {
		display = u.Username
	}
	attrs := map[string]any{}
	if u.UserStatus != "" {
		attrs["user_status"] = u.UserStatus
	}
	if u.Enabled != nil {
		attrs["enabled"] = *u.Enabled
	}
	return &dirsyncv1.User{
		Id: sub, Username: u.Username, Email: u.attr("email"), DisplayName: display,
		GivenName: given, FamilyName: family, State: userState(u), Attributes: providers.Attributes(attrs),
	}, nil
}

// userState maps Enabled and UserStatus: a disabled user is suspended whatever its status;
// a user who has not confirmed the account or set a first password is pending.
func userState(u *userType) dirsyncv1.UserState {
	if u.Enabled != nil && !*u.Enabled {
		return dirsyncv1.UserState_USER_STATE_SUSPENDED
	}
	switch strings.ToUpper(u.UserStatus) {
	case "CONFIRMED", "EXTERNAL_PROVIDER", "RESET_REQUIRED":
		return dirsyncv1.UserState_USER_STATE_ACTIVE
	case "UNCONFIRMED", "FORCE_CHANGE_PASSWORD":
		return dirsyncv1.UserState_USER_STATE_PENDING
	case "ARCHIVED", "COMPROMISED":
		return dirsyncv1.UserState_USER_STATE_SUSPENDED
	}
	return dirsyncv1.UserState_USER_STATE_UNSPECIFIED
}

// groupRecord returns the dirsync group of a Cognito group, keyed by its name (unique in
// the pool and immutable). Cognito groups do not nest.
func groupRecord(g *groupType) *dirsyncv1.Group {
	attrs := map[string]any{}
	if g.Precedence != nil {
		attrs["precedence"] = float64(*g.Precedence)
	}
	if g.RoleArn != "" {
		attrs["role_arn"] = g.RoleArn
	}
	return &dirsyncv1.Group{Id: g.GroupName, Name: g.GroupName, Description: g.Description, Attributes: providers.Attributes(attrs)}
}
