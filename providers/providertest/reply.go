package providertest

import (
	"encoding/json"
	"net/http"
)

// WriteJSON answers with status and v encoded as JSON. The Content-Type is
// application/json unless the handler set one already (vendors differ: a charset, AWS's
// application/x-amz-json-1.1).
func WriteJSON(w http.ResponseWriter, status int, v any) {
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// OAuthError answers a token request with an OAuth 2.0 error response (RFC 6749 §5.2):
// status and a JSON body of error and error_description.
func OAuthError(w http.ResponseWriter, status int, code, description string) {
	WriteJSON(w, status, map[string]string{"error": code, "error_description": description})
}
