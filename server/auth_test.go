package server

import (
	"context"
	"crypto/sha256"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/dirsync/dirsync/store/memory"
)

// testKeys are one API key per role.
var testKeys = map[Role]string{RoleSubscriber: "sub-key-1", RoleReader: "reader-key-1", RoleAdmin: "admin-key-1"}

func testAuth() AuthOptions {
	var o AuthOptions
	for role, key := range testKeys {
		o.APIKeys = append(o.APIKeys, APIKey{Name: role.String(), Role: role, SHA256: sha256.Sum256([]byte(key))})
	}
	return o
}

// dirsyncMethods enumerates every RPC of the dirsync.v1 package from the generated
// descriptors, as "/service/method" with whether the server streams.
func dirsyncMethods(t *testing.T) map[string]bool {
	out := map[string]bool{}
	protoregistry.GlobalFiles.RangeFilesByPackage("dirsync.v1", func(f protoreflect.FileDescriptor) bool {
		for i := range f.Services().Len() {
			svc := f.Services().Get(i)
			for j := range svc.Methods().Len() {
				m := svc.Methods().Get(j)
				out["/"+string(svc.FullName())+"/"+string(m.Name())] = m.IsStreamingServer()
			}
		}
		return true
	})
	require.NotEmpty(t, out)
	return out
}

// TestEveryMethodHasARole: the role table lists exactly the RPCs of the API, so a new RPC
// cannot go out without a decision about who may call it.
func TestEveryMethodHasARole(t *testing.T) {
	methods := dirsyncMethods(t)
	for m := range methods {
		_, ok := methodRoles[m]
		require.True(t, ok, "%s has no entry in methodRoles (server/auth.go)", m)
	}
	for m := range methodRoles {
		_, ok := methods[m]
		require.True(t, ok, "methodRoles lists %s, which the API does not have", m)
	}
}

// call invokes method with an empty request (the header value auth, when not empty, is
// sent as authorization) and returns the code of the outcome: for a stream, of its first
// receive.
func call(t *testing.T, conn *grpc.ClientConn, method string, streaming bool, auth string) codes.Code {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if auth != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", auth)
	}
	if !streaming {
		return status.Code(conn.Invoke(ctx, method, &emptypb.Empty{}, &emptypb.Empty{}))
	}
	s, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}, method)
	if err != nil {
		return status.Code(err)
	}
	// A server that refuses the call may end the stream before the request is sent; SendMsg
	// then reports io.EOF and the status comes from RecvMsg, as grpc-go documents.
	_ = s.SendMsg(&emptypb.Empty{})
	_ = s.CloseSend()
	return status.Code(s.RecvMsg(&emptypb.Empty{}))
}

// TestAuthMatrix calls every RPC with no key, a wrong key, a malformed header and each
// role's key. A role below the method's is PERMISSION_DENIED, no or a bad key is
// UNAUTHENTICATED, and an allowed call ends exactly as it does on a server without auth.
func TestAuthMatrix(t *testing.T) {
	st := memory.New()
	open := startServer(t, st, Options{}) // the baseline: auth off
	secured := startServer(t, st, Options{Auth: testAuth()})
	conn, err := grpc.NewClient(secured.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })

	methods := dirsyncMethods(t)
	methods["/grpc.health.v1.Health/Check"] = false
	methods["/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"] = true
	for method, streaming := range methods {
		t.Run(strings.TrimPrefix(method, "/"), func(t *testing.T) {
			baseline := call(t, open.conn, method, streaming, "")
			require.NotContains(t, []codes.Code{codes.Unauthenticated, codes.PermissionDenied, codes.Unimplemented}, baseline)
			need, listed := methodRoles[method]
			if !listed { // health and reflection are open
				require.Equal(t, baseline, call(t, conn, method, streaming, ""))
				require.Equal(t, baseline, call(t, conn, method, streaming, "Bearer wrong"))
				return
			}
			require.Equal(t, codes.Unauthenticated, call(t, conn, method, streaming, ""), "no key")
			require.Equal(t, codes.Unauthenticated, call(t, conn, method, streaming, "Bearer wrong-key"), "wrong key")
			require.Equal(t, codes.Unauthenticated, call(t, conn, method, streaming, "Basic "+testKeys[RoleAdmin]), "not bearer")
			for _, role := range []Role{RoleSubscriber, RoleReader, RoleAdmin} {
				want := baseline
				if role < need {
					want = codes.PermissionDenied
				}
				require.Equal(t, want, call(t, conn, method, streaming, "Bearer "+testKeys[role]), "role %s", role)
			}
		})
	}
}

// TestRESTCarriesAuthorization: the gateway passes the caller's Authorization header to
// gRPC, and maps the refusals to 401 and 403.
func TestRESTCarriesAuthorization(t *testing.T) {
	ts := startServer(t, memory.New(), Options{Auth: testAuth()})
	get := func(key string) int {
		req, err := http.NewRequest(http.MethodGet, ts.httpURL+"/v1/sync/status", nil)
		require.NoError(t, err)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusUnauthorized, get(""))
	require.Equal(t, http.StatusUnauthorized, get("nope"))
	require.Equal(t, http.StatusForbidden, get(testKeys[RoleSubscriber]))
	require.Equal(t, http.StatusOK, get(testKeys[RoleReader]))
	resp, err := http.Get(ts.httpURL + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "health stays open")
}

func TestParseRole(t *testing.T) {
	for _, r := range []Role{RoleSubscriber, RoleReader, RoleAdmin} {
		got, err := ParseRole(r.String())
		require.NoError(t, err)
		require.Equal(t, r, got)
	}
	_, err := ParseRole("none")
	require.Error(t, err)
	_, err = ParseRole("root")
	require.ErrorContains(t, err, "root")
}
