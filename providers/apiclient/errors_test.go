package apiclient

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestVendorError(t *testing.T) {
	tests := []struct{ name, body, code, msg string }{
		{"okta", `{"errorCode":"E0000047","errorSummary":"API call exceeded rate limit due to too many requests.","errorCauses":[]}`,
			"E0000047", "API call exceeded rate limit due to too many requests."},
		{"graph", `{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation.","innerError":{}}}`,
			"Authorization_RequestDenied", "Insufficient privileges to complete the operation."},
		{"google", `{"error":{"code":403,"message":"Quota exceeded for quota metric","errors":[{"message":"Quota exceeded","domain":"usageLimits","reason":"quotaExceeded"}],"status":"PERMISSION_DENIED"}}`,
			"quotaExceeded", "Quota exceeded for quota metric"},
		{"google without reason", `{"error":{"code":404,"message":"Resource Not Found: groupKey"}}`, "404", "Resource Not Found: groupKey"},
		{"oauth", `{"error":"invalid_client","error_description":"Client authentication failed"}`, "invalid_client", "Client authentication failed"},
		{"aws", `{"__type":"com.amazonaws.cognito#TooManyRequestsException","message":"Rate exceeded"}`, "TooManyRequestsException", "Rate exceeded"},
		{"aws capital", `{"__type":"ResourceNotFoundException","Message":"User pool does not exist."}`, "ResourceNotFoundException", "User pool does not exist."},
		{"github", `{"message":"You have exceeded a secondary rate limit.","documentation_url":"https://docs.github.com"}`, "", "You have exceeded a secondary rate limit."},
		{"github with status", `{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest","status":"401"}`, "", "Bad credentials"},
		{"gitlab", `{"message":"401 Unauthorized"}`, "", "401 Unauthorized"},
		{"gitlab validation", `{"message":{"per_page":["is invalid"]}}`, "", `{"per_page":["is invalid"]}`},
		{"auth0", `{"statusCode":400,"error":"Bad Request","message":"You can only page through the first 1000 records.","errorCode":"invalid_paging"}`,
			"invalid_paging", "You can only page through the first 1000 records."},
		{"pingone", `{"id":"5d7e","code":"INVALID_DATA","message":"The request could not be completed."}`, "INVALID_DATA", "The request could not be completed."},
		{"onelogin", `{"statusCode":401,"name":"Unauthorized","message":"Authentication Failure"}`, "Unauthorized", "Authentication Failure"},
		{"onelogin v1", `{"status":{"error":true,"code":400,"type":"bad request","message":"Invalid cursor"}}`, "bad request", "Invalid cursor"},
		{"html", "<html>\n<body>Bad Gateway</body></html>", "", "<html>"},
		{"empty", ``, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, msg := vendorError([]byte(tt.body))
			require.Equal(t, tt.code, code)
			require.Equal(t, tt.msg, msg)
		})
	}
	_, long := vendorError([]byte(`{"message":"` + strings.Repeat("é", 400) + `"}`))
	require.LessOrEqual(t, len(long), 300+len("…"))
	require.True(t, strings.HasSuffix(long, "…"))
}
