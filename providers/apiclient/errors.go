package apiclient

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// StatusError is a non-2xx response, with the vendor's error code and message when its body
// carries them. It is the one place vendor error bodies are translated.
type StatusError struct {
	Method   string
	Endpoint string
	// URL is the request URL without its query.
	URL    string
	Status int
	// Code is the vendor's error code ("E0000047", "syncStateNotFound", "quotaExceeded",
	// "TooManyRequestsException"); empty when the body has none.
	Code string
	// Message is the vendor's message, clipped.
	Message string
	// Response is the failed response.
	Response *Response
}

func (e *StatusError) Error() string {
	detail := joinNonEmpty(e.Code, e.Message)
	if detail != "" {
		detail = " " + detail
	}
	return fmt.Sprintf("%s: HTTP %d%s (%s %s)", e.Endpoint, e.Status, detail, e.Method, e.URL)
}

func newStatusError(r Request, u *url.URL, resp *Response) *StatusError {
	code, msg := vendorError(resp.Body)
	return &StatusError{Method: r.Method, Endpoint: r.Endpoint, URL: redact(u), Status: resp.Status,
		Code: code, Message: msg, Response: resp}
}

// vendorError reads an error code and message from the error bodies of the APIs dirsync
// talks to: Okta {errorCode, errorSummary}; Microsoft Graph {error:{code, message}};
// Google {error:{code, message, errors:[{reason}]}}; OAuth {error, error_description};
// AWS {__type, message}; OneLogin {name, message} and (API v1) {status:{type, message}};
// GitHub, GitLab, Auth0, PingOne {code?, message}.
// A body that is not JSON gives its first line as the message.
func vendorError(body []byte) (code, message string) {
	var v struct {
		ErrorCode    string          `json:"errorCode"`
		ErrorSummary string          `json:"errorSummary"`
		Error        json.RawMessage `json:"error"`
		Description  string          `json:"error_description"`
		Type         string          `json:"__type"`
		Code         json.RawMessage `json:"code"`
		Message      json.RawMessage `json:"message"`
		UpperMessage string          `json:"Message"`
		Name         string          `json:"name"`
		Status       json.RawMessage `json:"status"` // OneLogin v1: an object; GitHub: a string
	}
	if err := json.Unmarshal(body, &v); err != nil {
		line, _, _ := strings.Cut(strings.TrimSpace(string(body)), "\n")
		return "", clip(line)
	}
	var nested struct {
		Code    json.RawMessage `json:"code"`
		Message string          `json:"message"`
		Errors  []struct {
			Reason string `json:"reason"`
		} `json:"errors"`
	}
	var errString string
	if json.Unmarshal(v.Error, &errString) != nil {
		_ = json.Unmarshal(v.Error, &nested)
	}
	if len(nested.Errors) > 0 && nested.Errors[0].Reason != "" {
		nested.Code = json.RawMessage(`"` + nested.Errors[0].Reason + `"`)
	}
	var status struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal(v.Status, &status)
	typ := v.Type
	if i := strings.LastIndex(typ, "#"); i >= 0 { // AWS may prefix a namespace
		typ = typ[i+1:]
	}
	code = firstNonEmpty(v.ErrorCode, jsonString(nested.Code), typ, jsonString(v.Code), errString, v.Name, status.Type)
	message = firstNonEmpty(v.ErrorSummary, nested.Message, jsonString(v.Message), v.Description, v.UpperMessage, status.Message)
	if message == "" && len(v.Message) > 0 && v.Message[0] == '{' {
		message = string(v.Message) // GitLab validation errors: {"message": {"field": ["…"]}}
	}
	return clip(code), clip(message)
}

// jsonString returns a JSON string's value, or a number's text, or "".
func jsonString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func joinNonEmpty(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + ": " + b
}

// clip bounds a vendor string kept in errors and statuses.
func clip(s string) string {
	const limit = 300
	if len(s) <= limit {
		return s
	}
	for i := limit; i > 0; i-- {
		if utf8.RuneStart(s[i]) {
			return s[:i] + "…"
		}
	}
	return ""
}
