package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/dirsync/dirsync/client"
	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/policy"
	"github.com/dirsync/dirsync/server"
	"github.com/dirsync/dirsync/store"
	"github.com/dirsync/dirsync/store/memory"
)

func user(id, email string, groups ...string) *dirsyncv1.Record {
	return &dirsyncv1.Record{Type: dirsyncv1.RecordType_RECORD_TYPE_USER, Directory: "acme", Id: id,
		Data: &dirsyncv1.Record_User{User: &dirsyncv1.User{Id: id, Directory: "acme", Email: email, GroupIds: groups}}}
}

func group(id, name string, parents ...string) *dirsyncv1.Record {
	return &dirsyncv1.Record{Type: dirsyncv1.RecordType_RECORD_TYPE_GROUP, Directory: "acme", Id: id,
		Data: &dirsyncv1.Record_Group{Group: &dirsyncv1.Group{Id: id, Directory: "acme", Name: name, GroupIds: parents}}}
}

// TestProtect runs the example's policy against an in-process dirsyncd: decisions follow the
// directory, including a change made while it runs.
func TestProtect(t *testing.T) {
	st := memory.New()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	apply := func(recs ...*dirsyncv1.Record) uint64 {
		v, err := st.Apply(ctx, store.Batch{Directory: "acme", Records: recs})
		require.NoError(t, err)
		return v.Latest
	}
	apply(group("grp-engineering", "Engineering"), group("grp-platform", "Platform", "grp-engineering"),
		group("grp-leadership", "Leadership"), group("grp-sales", "Sales"),
		user("usr-1001", "alice@acme.example", "grp-platform"),         // engineer through a nested team
		user("usr-1002", "bob@acme.example", "grp-sales"),              // not an engineer
		user("usr-1003", "carol@contractor.example", "grp-leadership"), // wrong domain
		user("usr-1018", "victor@acme.example", "grp-leadership"),      // denied by id
	)

	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := server.New(st, log, server.Options{})
	served := make(chan error, 1)
	go func() { served <- srv.Run(ctx, lis, nil) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer conn.Close()
	c := client.New(conn, client.Options{Directories: []string{"acme"}})
	ran := make(chan error, 1)
	go func() { ran <- c.Run(ctx) }()
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	require.NoError(t, c.WaitReady(wctx))

	doc, err := os.ReadFile("policy.yaml")
	require.NoError(t, err)
	pol, err := policy.Compile(doc, "acme", c.Replica())
	require.NoError(t, err)
	ts := httptest.NewServer(protect(c, pol, "acme", "X-User-Id", log, hello))
	defer ts.Close()

	status := func(user string) int {
		req, err := http.NewRequest(http.MethodGet, ts.URL, nil)
		require.NoError(t, err)
		if user != "" {
			req.Header.Set("X-User-Id", user)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusUnauthorized, status(""))
	require.Equal(t, http.StatusOK, status("usr-1001"))
	require.Equal(t, http.StatusForbidden, status("usr-1002"))
	require.Equal(t, http.StatusForbidden, status("usr-1003"))
	require.Equal(t, http.StatusForbidden, status("usr-1018"))
	require.Equal(t, http.StatusForbidden, status("usr-9999"))

	// Bob joins Platform: allowed once the client has the change; no request goes to dirsync.
	v := apply(user("usr-1002", "bob@acme.example", "grp-sales", "grp-platform"))
	require.NoError(t, c.WaitForVersion(wctx, v))
	require.Equal(t, http.StatusOK, status("usr-1002"))

	cancel()
	require.NoError(t, <-served)
	require.NoError(t, <-ran)
}
