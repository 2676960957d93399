package onelogin

import (
	"context"
	"strconv"
	"strings"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
	"github.com/dirsync/dirsync/providers/apiclient"
)

// oneloginUser is a user as GET /api/2/users returns it.
type oneloginUser struct {
	ID        int64  `json:"id"`
	Email     string `json:"email"`
	Username  string `json:"username"`
	Firstname string `json:"firstname"`
	Lastname  string `json:"lastname"`
	Status    *int   `json:"status"`
	State     *int   `json:"state"`
	GroupID   *int64 `json:"group_id"`
	// RoleIDs is nil when the listing does not carry role_ids.
	RoleIDs *[]int64 `json:"role_ids"`
}

// readUsers lists every user: GET /api/2/users?limit=N, following the After-Cursor
// response header with the cursor parameter.
func (p *provider) readUsers(ctx context.Context) ([]oneloginUser, error) {
	var users []oneloginUser
	err := apiclient.Pages(ctx, p.client, "users", "api/2/users?limit="+strconv.Itoa(p.pageSize), afterCursor[[]oneloginUser],
		func(page *[]oneloginUser) error {
			users = append(users, *page...)
			return nil
		})
	return users, err
}

// afterCursor is the next page of an /api/2 listing: the same request with cursor set to
// the After-Cursor response header, while there is one.
func afterCursor[P any](resp *apiclient.Response, _ *P) string {
	return apiclient.WithQuery(resp.URL.String(), "cursor", resp.Header.Get("After-Cursor"))
}

// record turns a OneLogin user into a dirsync user. The id is OneLogin's numeric user id,
// the `sub` of the OpenID Connect tokens OneLogin issues for the user.
func (u oneloginUser) record() *dirsyncv1.User {
	display := strings.TrimSpace(u.Firstname + " " + u.Lastname)
	if display == "" {
		display = u.Username
	}
	rec := &dirsyncv1.User{Id: strconv.FormatInt(u.ID, 10), Email: u.Email, Username: u.Username,
		DisplayName: display, GivenName: u.Firstname, FamilyName: u.Lastname, State: userState(u.Status, u.State)}
	attrs := map[string]any{}
	if u.Status != nil {
		attrs["status"] = *u.Status
	}
	if u.State != nil {
		attrs["state"] = *u.State
	}
	rec.Attributes = providers.Attributes(attrs)
	return rec
}

// userState maps OneLogin's user status and (approval) state codes:
//
//	status 1 active; 4 password expired; 5 awaiting password reset;
//	       8 security questions required                         → ACTIVE (the user signs in and completes the step)
//	status 0 unactivated; 7 password pending                     → PENDING
//	status 2 suspended; 3 locked                                 → SUSPENDED
//	state 0 unapproved → PENDING; state 2 rejected → SUSPENDED (they override an active status)
//	anything else, or no status                                  → UNSPECIFIED
func userState(status, state *int) dirsyncv1.UserState {
	if status != nil && (*status == 2 || *status == 3) {
		return dirsyncv1.UserState_USER_STATE_SUSPENDED
	}
	if state != nil {
		switch *state {
		case 2:
			return dirsyncv1.UserState_USER_STATE_SUSPENDED
		case 0:
			return dirsyncv1.UserState_USER_STATE_PENDING
		}
	}
	if status == nil {
		return dirsyncv1.UserState_USER_STATE_UNSPECIFIED
	}
	switch *status {
	case 1, 4, 5, 8:
		return dirsyncv1.UserState_USER_STATE_ACTIVE
	case 0, 7:
		return dirsyncv1.UserState_USER_STATE_PENDING
	}
	return dirsyncv1.UserState_USER_STATE_UNSPECIFIED
}
