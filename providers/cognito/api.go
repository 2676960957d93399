package cognito

import (
	"encoding/json"
	"strings"

	"github.com/dirsync/dirsync/providers/apiclient"
)

// Operation targets of the Cognito Identity Provider API (X-Amz-Target).
const (
	targetPrefix         = "AWSCognitoIdentityProviderService."
	targetListUsers      = targetPrefix + "ListUsers"
	targetListGroups     = targetPrefix + "ListGroups"
	targetListUsersInGrp = targetPrefix + "ListUsersInGroup"
)

// pageLimit is the largest Limit ListUsers, ListGroups and ListUsersInGroup accept.
const pageLimit = 60

// listUsersInput is the body of ListUsers; its pages are chained by PaginationToken.
type listUsersInput struct {
	UserPoolID      string `json:"UserPoolId"`
	Limit           int    `json:"Limit"`
	PaginationToken string `json:"PaginationToken,omitempty"`
}

type listUsersOutput struct {
	Users           []userType `json:"Users"`
	PaginationToken string     `json:"PaginationToken"`
}

// listGroupsInput is the body of ListGroups, and with GroupName of ListUsersInGroup; their
// pages are chained by NextToken.
type listGroupsInput struct {
	UserPoolID string `json:"UserPoolId"`
	GroupName  string `json:"GroupName,omitempty"`
	Limit      int    `json:"Limit"`
	NextToken  string `json:"NextToken,omitempty"`
}

type listGroupsOutput struct {
	Groups    []groupType `json:"Groups"`
	NextToken string      `json:"NextToken"`
}

type listUsersInGroupOutput struct {
	Users     []userType `json:"Users"`
	NextToken string     `json:"NextToken"`
}

// userType is Cognito's UserType, the fields dirsync reads.
type userType struct {
	Username   string `json:"Username"`
	Attributes []struct {
		Name  string `json:"Name"`
		Value string `json:"Value"`
	} `json:"Attributes"`
	Enabled    *bool  `json:"Enabled"`
	UserStatus string `json:"UserStatus"`
}

// attr returns the value of the named attribute, or "".
func (u *userType) attr(name string) string {
	for _, a := range u.Attributes {
		if a.Name == name {
			return a.Value
		}
	}
	return ""
}

// groupType is Cognito's GroupType, the fields dirsync reads.
type groupType struct {
	GroupName   string `json:"GroupName"`
	Description string `json:"Description"`
	Precedence  *int64 `json:"Precedence"`
	RoleArn     string `json:"RoleArn"`
}

// throttled reports Cognito's throttling answer: HTTP 400 with error type
// TooManyRequestsException (in the body's __type, possibly namespaced, or in the
// X-Amzn-ErrorType header).
func throttled(resp *apiclient.Response) bool {
	if resp == nil || resp.Status != 400 {
		return false
	}
	return errorType(resp) == "TooManyRequestsException"
}

// errorType is the AWS JSON error type of a failed response, without namespace or suffix.
func errorType(resp *apiclient.Response) string {
	typ := resp.Header.Get("X-Amzn-ErrorType")
	if typ == "" {
		var body struct {
			Type string `json:"__type"`
		}
		_ = json.Unmarshal(resp.Body, &body)
		typ = body.Type
	}
	typ, _, _ = strings.Cut(typ, ":") // X-Amzn-ErrorType may carry ":http://…"
	if i := strings.LastIndex(typ, "#"); i >= 0 {
		typ = typ[i+1:]
	}
	return typ
}
