package okta

import (
	"slices"
	"strings"
	"time"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
)

// user is the part of Okta's User object dirsync reads.
type user struct {
	ID          string    `json:"id"`
	Status      string    `json:"status"`
	LastUpdated time.Time `json:"lastUpdated"`
	Profile     struct {
		Login       string `json:"login"`
		Email       string `json:"email"`
		FirstName   string `json:"firstName"`
		LastName    string `json:"lastName"`
		DisplayName string `json:"displayName"`
	} `json:"profile"`
}

// group is the part of Okta's Group object dirsync reads.
type group struct {
	ID                    string    `json:"id"`
	Type                  string    `json:"type"`
	LastUpdated           time.Time `json:"lastUpdated"`
	LastMembershipUpdated time.Time `json:"lastMembershipUpdated"`
	Profile               struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	} `json:"profile"`
}

// deprovisioned is the status of a deactivated user. Okta's plain user listing leaves such
// users out, so dirsync treats them as deleted everywhere: a full sync does not see them
// and a delta turns them into deletions. They cannot sign in, and a deactivated user kept
// as a record would still carry its group memberships into policy.
const deprovisioned = "DEPROVISIONED"

// state maps an Okta user status to dirsync's. ACTIVE, PASSWORD_EXPIRED (must change the
// password at sign-in) and RECOVERY (a password reset is under way) accounts may sign in;
// LOCKED_OUT and SUSPENDED ones may not; STAGED and PROVISIONED ones are not activated yet.
func state(status string) dirsyncv1.UserState {
	switch status {
	case "ACTIVE", "PASSWORD_EXPIRED", "RECOVERY":
		return dirsyncv1.UserState_USER_STATE_ACTIVE
	case "LOCKED_OUT", "SUSPENDED", deprovisioned:
		return dirsyncv1.UserState_USER_STATE_SUSPENDED
	case "STAGED", "PROVISIONED":
		return dirsyncv1.UserState_USER_STATE_PENDING
	}
	return dirsyncv1.UserState_USER_STATE_UNSPECIFIED
}

// record returns u as a dirsync user in groupIDs (sorted here). Okta's raw status is kept
// as the attribute "status".
func (u *user) record(groupIDs []string) *dirsyncv1.User {
	name := u.Profile.DisplayName
	if name == "" {
		name = strings.TrimSpace(u.Profile.FirstName + " " + u.Profile.LastName)
	}
	slices.Sort(groupIDs)
	return &dirsyncv1.User{Id: u.ID, DisplayName: name, Email: u.Profile.Email, Username: u.Profile.Login,
		GivenName: u.Profile.FirstName, FamilyName: u.Profile.LastName, State: state(u.Status),
		GroupIds: groupIDs, Attributes: providers.Attributes(map[string]any{"status": u.Status})}
}

// record returns g as a dirsync group; Okta groups do not nest. Okta's group type
// (OKTA_GROUP, APP_GROUP, BUILT_IN) is kept as the attribute "type".
func (g *group) record() *dirsyncv1.Group {
	return &dirsyncv1.Group{Id: g.ID, Name: g.Profile.Name, Description: g.Profile.Description,
		Attributes: providers.Attributes(map[string]any{"type": g.Type})}
}
