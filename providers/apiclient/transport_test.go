package apiclient

import (
	"context"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCAFile(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, `{}`) }))
	defer srv.Close()

	c, err := New(Config{BaseURL: srv.URL})
	require.NoError(t, err)
	_, err = c.Get(context.Background(), "users", "users")
	require.ErrorContains(t, err, "certificate", "an unknown CA must fail")

	ca := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600))
	c, err = New(Config{BaseURL: srv.URL, CAFile: ca})
	require.NoError(t, err)
	_, err = c.Get(context.Background(), "users", "users")
	require.NoError(t, err)

	require.NoError(t, os.WriteFile(ca, []byte("not pem"), 0o600))
	_, err = New(Config{BaseURL: srv.URL, CAFile: ca})
	require.EqualError(t, err, "ca_file "+ca+": no PEM certificate in it")
	_, err = New(Config{BaseURL: srv.URL, CAFile: ca + ".missing"})
	require.ErrorContains(t, err, "ca_file: open ")
	_, err = New(Config{BaseURL: "example.com/api"})
	require.EqualError(t, err, `base URL "example.com/api": must be an absolute http(s) URL`)
}
