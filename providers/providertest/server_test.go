package providertest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestServerRecordsAndReplays: while recording, a Server keeps each request whole (method,
// absolute URL, headers, body, the status answered), still gives the handler the body,
// and a replay gets the same answers; a different answer is an error.
func TestServerRecordsAndReplays(t *testing.T) {
	var counts Counter
	srv := NewServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := counts.Add(r.URL.Path)
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("Authorization") != "Bearer t" || (r.Method == http.MethodPost && string(body) != `{"q":1}`) {
			OAuthError(w, http.StatusUnauthorized, "invalid_token", "no")
			return
		}
		if r.URL.Path == "/flaky" && n > 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		WriteJSON(w, http.StatusOK, map[string]int{"n": n})
	}))
	do := func(method, path, body string) {
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer t")
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		resp.Body.Close()
	}
	do(http.MethodGet, "/before", "") // not recorded
	rec := &recording{}
	srv.recordTo(rec)
	do(http.MethodGet, "/users?page=2", "")
	do(http.MethodPost, "/search", `{"q":1}`)
	srv.recordTo(nil)
	do(http.MethodGet, "/after", "")

	got := rec.take()
	require.Len(t, got, 2)
	require.Equal(t, http.MethodGet, got[0].Method)
	require.Equal(t, srv.URL+"/users?page=2", got[0].URL)
	require.Equal(t, "Bearer t", got[0].Header.Get("Authorization"))
	require.Equal(t, http.StatusOK, got[0].Status)
	require.Equal(t, `{"q":1}`, string(got[1].Body))
	require.Equal(t, http.StatusOK, got[1].Status, "the handler read the recorded body")

	for _, r := range got {
		require.NoError(t, send(http.DefaultClient, r))
	}
	require.Equal(t, 2, counts.Count("/search"))

	bad := got[0]
	bad.Header = bad.Header.Clone()
	bad.Header.Set("Authorization", "Bearer other")
	require.ErrorContains(t, send(http.DefaultClient, bad), "HTTP 401, the sync got 200")
}

func TestCounter(t *testing.T) {
	var c Counter
	require.Equal(t, 0, c.Total())
	require.Equal(t, 1, c.Add("users"))
	require.Equal(t, 2, c.Add("users"))
	require.Equal(t, 1, c.Add("token"))
	require.Equal(t, 2, c.Count("users"))
	require.Equal(t, 3, c.Total())
	require.Equal(t, map[string]int{"users": 2, "token": 1}, c.Counts())
	require.Equal(t, map[string]int{"users": 2, "token": 1}, c.Reset())
	require.Equal(t, map[string]int{}, c.Counts())
	require.Equal(t, 1, c.Add("users"), "numbering starts again after Reset")
}

func TestWriteJSONKeepsTheVendorsContentType(t *testing.T) {
	w := httptest.NewRecorder()
	WriteJSON(w, http.StatusCreated, []int{1})
	require.Equal(t, "application/json", w.Header().Get("Content-Type"))
	require.Equal(t, http.StatusCreated, w.Code)
	require.JSONEq(t, `[1]`, w.Body.String())

	w = httptest.NewRecorder()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	OAuthError(w, http.StatusBadRequest, "invalid_grant", "expired")
	require.Equal(t, "application/x-amz-json-1.1", w.Header().Get("Content-Type"))
	require.JSONEq(t, `{"error":"invalid_grant","error_description":"expired"}`, w.Body.String())
}
