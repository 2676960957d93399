package server

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mr-tron/base58"
	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/dirsync/dirsync/enrollment"
	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store"
	"github.com/dirsync/dirsync/store/memory"
)

var (
	secretNew = []byte("new-secret")
	secretOld = []byte("old-secret")
)

func enrollmentOptions() EnrollmentOptions {
	return EnrollmentOptions{
		BaseURL:           "https://auth.example.com/",
		DirectoryBaseURLs: map[string]string{"b": "https://b.example.com"},
		Secrets:           [][]byte{secretNew, secretOld},
		DeviceTypes:       []string{"yubikey"},
	}
}

// startEnrollment runs a server with enrollment configured and users u1, u2 in directory a.
func startEnrollment(t *testing.T, opts EnrollmentOptions) (*testServer, store.Store, dirsyncv1.DeviceEnrollmentServiceClient) {
	st := memory.New()
	apply(t, st, "a", testUser("a", "u1"), testUser("a", "u2"))
	apply(t, st, "b", testUser("b", "u1"))
	ts := startServer(t, st, Options{Enrollment: opts})
	return ts, st, dirsyncv1.NewDeviceEnrollmentServiceClient(ts.conn)
}

// requireReason checks err's code and ErrorInfo reason.
func requireReason(t *testing.T, err error, code codes.Code, reason string) {
	t.Helper()
	st := status.Convert(err)
	require.Equal(t, code, st.Code(), "%v", err)
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			require.Equal(t, ErrorDomain, info.Domain)
			require.Equal(t, reason, info.Reason, "%v", err)
			return
		}
	}
	t.Fatalf("no ErrorInfo in %v", err)
}

func tokenOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	require.NoError(t, err)
	return u.Query().Get("pomerium_enrollment_token")
}

func TestEnrollmentCreate(t *testing.T) {
	ctx := context.Background()
	ts, st, c := startEnrollment(t, enrollmentOptions())
	resp, err := c.CreateEnrollmentLink(ctx, &dirsyncv1.CreateEnrollmentLinkRequest{Directory: "a", UserId: "u1",
		Ttl: durationpb.New(72 * time.Hour), RedirectUrl: "https://app.example.com/done"})
	require.NoError(t, err)
	en := resp.Enrollment
	require.Equal(t, []any{"a", "u1", "any", dirsyncv1.EnrollmentState_ENROLLMENT_STATE_PENDING, "https://app.example.com/done"},
		[]any{en.Directory, en.UserId, en.DeviceType, en.State, en.RedirectUrl})
	require.Equal(t, 72*time.Hour, en.ExpiresAt.AsTime().Sub(en.CreatedAt.AsTime()).Round(time.Second))
	require.True(t, strings.HasPrefix(resp.Link, "https://auth.example.com/.pomerium/webauthn?pomerium_device_type=any&pomerium_enrollment_token="), resp.Link)
	id, exp, err := enrollment.Verify(tokenOf(t, resp.Link), [][]byte{secretNew})
	require.NoError(t, err, "new links are signed with the first secret")
	require.Equal(t, en.Id, id.String())
	require.True(t, exp.Equal(en.ExpiresAt.AsTime()))
	r, err := st.Get(ctx, enrollmentType, "a", en.Id)
	require.NoError(t, err)
	require.Equal(t, resp.RecordVersion, r.Version)

	resp, err = c.CreateEnrollmentLink(ctx, &dirsyncv1.CreateEnrollmentLinkRequest{Directory: "b", UserId: "u1", DeviceType: "yubikey"})
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(resp.Link, "https://b.example.com/.pomerium/webauthn?pomerium_device_type=yubikey&"), resp.Link)
	require.Equal(t, 168*time.Hour, resp.Enrollment.ExpiresAt.AsTime().Sub(resp.Enrollment.CreatedAt.AsTime()).Round(time.Second))

	_, err = c.CreateEnrollmentLink(ctx, &dirsyncv1.CreateEnrollmentLinkRequest{Directory: "a", UserId: "nobody"})
	require.Equal(t, codes.NotFound, status.Code(err), "%v", err)
	apply(t, st, "a", suspended("a", "u2"))
	ts.waitReplica(t, mustVersions(t, st).Latest)
	_, err = c.CreateEnrollmentLink(ctx, &dirsyncv1.CreateEnrollmentLinkRequest{Directory: "a", UserId: "u2"})
	requireReason(t, err, codes.FailedPrecondition, ReasonUserSuspended)

	for field, req := range map[string]*dirsyncv1.CreateEnrollmentLinkRequest{
		"device_type":  {Directory: "a", UserId: "u1", DeviceType: "laptop"},
		"ttl":          {Directory: "a", UserId: "u1", Ttl: durationpb.New(721 * time.Hour)},
		"redirect_url": {Directory: "a", UserId: "u1", RedirectUrl: "/relative"},
		"user_id":      {Directory: "a"},
		"directory":    {UserId: "u1"},
	} {
		_, err := c.CreateEnrollmentLink(ctx, req)
		requireInvalid(t, err, field)
	}
	_, err = c.CreateEnrollmentLink(ctx, &dirsyncv1.CreateEnrollmentLinkRequest{Directory: "a", UserId: "u1", Ttl: durationpb.New(-time.Hour)})
	requireInvalid(t, err, "ttl")
}

func TestEnrollmentNotConfigured(t *testing.T) {
	_, _, c := startEnrollment(t, EnrollmentOptions{})
	_, err := c.CreateEnrollmentLink(context.Background(), &dirsyncv1.CreateEnrollmentLinkRequest{Directory: "a", UserId: "u1"})
	requireReason(t, err, codes.FailedPrecondition, ReasonEnrollmentNotConfigured)
	_, err = c.RedeemEnrollment(context.Background(), &dirsyncv1.RedeemEnrollmentRequest{Token: "x", UserId: "u1"})
	requireReason(t, err, codes.FailedPrecondition, ReasonEnrollmentNotConfigured)
}

func TestEnrollmentRedeem(t *testing.T) {
	ctx := context.Background()
	_, _, c := startEnrollment(t, enrollmentOptions())
	create := func(typ string) (*dirsyncv1.Enrollment, string) {
		resp, err := c.CreateEnrollmentLink(ctx, &dirsyncv1.CreateEnrollmentLinkRequest{Directory: "a", UserId: "u1", DeviceType: typ})
		require.NoError(t, err)
		return resp.Enrollment, tokenOf(t, resp.Link)
	}
	redeem := func(tok, user, typ string) (*dirsyncv1.RedeemEnrollmentResponse, error) {
		return c.RedeemEnrollment(ctx, &dirsyncv1.RedeemEnrollmentRequest{Token: tok, UserId: user, DeviceType: typ,
			CredentialId: "cred-1", UserAgent: "test-agent"})
	}
	en, tok := create("enclave_only")

	// Tampering with any byte of the decoded token.
	raw, err := base58.Decode(tok)
	require.NoError(t, err)
	for i := range raw {
		b := append([]byte{}, raw...)
		b[i] ^= 0x01
		_, err := redeem(base58.Encode(b), "u1", "")
		requireReason(t, err, codes.InvalidArgument, ReasonEnrollmentTokenInvalid)
	}
	_, err = redeem("not base58 0OIl", "u1", "")
	requireReason(t, err, codes.InvalidArgument, ReasonEnrollmentTokenInvalid)

	// Expired: the same enrollment id with an expiry in the past, validly signed.
	id, _, err := enrollment.Verify(tok, [][]byte{secretNew})
	require.NoError(t, err)
	_, err = redeem(enrollment.Sign(id, time.Now().Add(-time.Second), secretNew), "u1", "")
	requireReason(t, err, codes.FailedPrecondition, ReasonEnrollmentExpired)

	_, err = redeem(tok, "u2", "")
	requireReason(t, err, codes.PermissionDenied, ReasonEnrollmentUserMismatch)
	_, err = redeem(tok, "u1", "any")
	requireReason(t, err, codes.FailedPrecondition, ReasonEnrollmentTypeMismatch)

	resp, err := redeem(tok, "u1", "enclave_only")
	require.NoError(t, err)
	got := resp.Enrollment
	require.Equal(t, []any{en.Id, dirsyncv1.EnrollmentState_ENROLLMENT_STATE_ENROLLED, "cred-1", "test-agent", true},
		[]any{got.Id, got.State, got.CredentialId, got.UserAgent, got.Approved})
	require.NotNil(t, got.EnrolledAt)
	_, err = redeem(tok, "u1", "enclave_only")
	requireReason(t, err, codes.FailedPrecondition, ReasonEnrollmentRedeemed)

	// Revoked.
	en2, tok2 := create("")
	_, err = c.RevokeEnrollment(ctx, &dirsyncv1.RevokeEnrollmentRequest{Directory: "a", Id: en2.Id})
	require.NoError(t, err)
	_, err = redeem(tok2, "u1", "")
	requireReason(t, err, codes.NotFound, ReasonEnrollmentRevoked)
	_, err = c.GetEnrollment(ctx, &dirsyncv1.GetEnrollmentRequest{Directory: "a", Id: en2.Id})
	require.Equal(t, codes.NotFound, status.Code(err))
	_, err = c.RevokeEnrollment(ctx, &dirsyncv1.RevokeEnrollmentRequest{Directory: "a", Id: en2.Id})
	require.Equal(t, codes.NotFound, status.Code(err))

	g, err := c.GetEnrollment(ctx, &dirsyncv1.GetEnrollmentRequest{Directory: "a", Id: en.Id})
	require.NoError(t, err)
	require.Equal(t, dirsyncv1.EnrollmentState_ENROLLMENT_STATE_ENROLLED, g.Enrollment.State)
}

func TestEnrollmentSecretRotation(t *testing.T) {
	ctx := context.Background()
	_, st, c := startEnrollment(t, EnrollmentOptions{BaseURL: "https://x", Secrets: [][]byte{secretOld}})
	resp, err := c.CreateEnrollmentLink(ctx, &dirsyncv1.CreateEnrollmentLinkRequest{Directory: "a", UserId: "u1"})
	require.NoError(t, err)
	tok := tokenOf(t, resp.Link)

	// Rotated out but still listed: redeems. Removed: rejected as invalid.
	removed := startServer(t, st, Options{Enrollment: EnrollmentOptions{Secrets: [][]byte{secretNew}}})
	_, err = dirsyncv1.NewDeviceEnrollmentServiceClient(removed.conn).RedeemEnrollment(ctx, &dirsyncv1.RedeemEnrollmentRequest{Token: tok, UserId: "u1"})
	requireReason(t, err, codes.InvalidArgument, ReasonEnrollmentTokenInvalid)
	rotated := startServer(t, st, Options{Enrollment: EnrollmentOptions{Secrets: [][]byte{secretNew, secretOld}}})
	_, err = dirsyncv1.NewDeviceEnrollmentServiceClient(rotated.conn).RedeemEnrollment(ctx, &dirsyncv1.RedeemEnrollmentRequest{Token: tok, UserId: "u1"})
	require.NoError(t, err)
}

func TestEnrollmentList(t *testing.T) {
	ctx := context.Background()
	_, _, c := startEnrollment(t, enrollmentOptions())
	ids := map[string]bool{}
	for _, u := range []string{"u1", "u1", "u2"} {
		resp, err := c.CreateEnrollmentLink(ctx, &dirsyncv1.CreateEnrollmentLinkRequest{Directory: "a", UserId: u})
		require.NoError(t, err)
		ids[resp.Enrollment.Id] = true
	}
	var all []string
	tok := ""
	for {
		resp, err := c.ListEnrollments(ctx, &dirsyncv1.ListEnrollmentsRequest{Directory: "a", PageSize: 2, PageToken: tok})
		require.NoError(t, err)
		for _, e := range resp.Enrollments {
			all = append(all, e.Id)
		}
		if tok = resp.NextPageToken; tok == "" {
			break
		}
	}
	require.Len(t, all, 3)
	require.IsIncreasing(t, all)
	for _, id := range all {
		require.True(t, ids[id])
	}
	resp, err := c.ListEnrollments(ctx, &dirsyncv1.ListEnrollmentsRequest{Directory: "a", UserId: "u1",
		State: dirsyncv1.EnrollmentState_ENROLLMENT_STATE_PENDING})
	require.NoError(t, err)
	require.Len(t, resp.Enrollments, 2)
	resp, err = c.ListEnrollments(ctx, &dirsyncv1.ListEnrollmentsRequest{Directory: "a", State: dirsyncv1.EnrollmentState_ENROLLMENT_STATE_ENROLLED})
	require.NoError(t, err)
	require.Empty(t, resp.Enrollments)
	_, err = c.ListEnrollments(ctx, &dirsyncv1.ListEnrollmentsRequest{Directory: "a", PageToken: "garbage"})
	requireInvalid(t, err, "page_token")
}

// TestEnrollmentSync: create, redeem and revoke reach a Sync subscriber in order, as
// ENROLLMENT records, the revocation as a tombstone.
func TestEnrollmentSync(t *testing.T) {
	ctx := context.Background()
	ts, st, c := startEnrollment(t, enrollmentOptions())
	stream, err := ts.sync.Sync(ctx, &dirsyncv1.SyncRequest{ServerVersion: mustVersions(t, st).ServerVersion,
		Types: []dirsyncv1.RecordType{dirsyncv1.RecordType_RECORD_TYPE_ENROLLMENT}})
	require.NoError(t, err)
	cr, err := c.CreateEnrollmentLink(ctx, &dirsyncv1.CreateEnrollmentLinkRequest{Directory: "a", UserId: "u1"})
	require.NoError(t, err)
	rd, err := c.RedeemEnrollment(ctx, &dirsyncv1.RedeemEnrollmentRequest{Token: tokenOf(t, cr.Link), UserId: "u1", CredentialId: "c"})
	require.NoError(t, err)
	rv, err := c.RevokeEnrollment(ctx, &dirsyncv1.RevokeEnrollmentRequest{Directory: "a", Id: cr.Enrollment.Id})
	require.NoError(t, err)

	var got []*dirsyncv1.Record
	for len(got) < 3 {
		resp, err := stream.Recv()
		require.NoError(t, err)
		got = append(got, resp.Records...)
	}
	require.Len(t, got, 3)
	for i, want := range []struct {
		version uint64
		state   dirsyncv1.EnrollmentState
		deleted bool
	}{
		{cr.RecordVersion, dirsyncv1.EnrollmentState_ENROLLMENT_STATE_PENDING, false},
		{rd.RecordVersion, dirsyncv1.EnrollmentState_ENROLLMENT_STATE_ENROLLED, false},
		{rv.RecordVersion, dirsyncv1.EnrollmentState_ENROLLMENT_STATE_ENROLLED, true},
	} {
		r := got[i]
		require.Equal(t, dirsyncv1.RecordType_RECORD_TYPE_ENROLLMENT, r.Type)
		require.Equal(t, cr.Enrollment.Id, r.Id)
		require.Equal(t, []any{want.version, want.state, want.deleted}, []any{r.Version, r.GetEnrollment().GetState(), r.Deleted}, "record %d", i)
	}
}

// TestEnrollmentRevokedWithUser: deleting or suspending a user revokes their pending links,
// not their redeemed ones nor other users' links.
func TestEnrollmentRevokedWithUser(t *testing.T) {
	ctx := context.Background()
	_, st, c := startEnrollment(t, enrollmentOptions())
	create := func(dir, user string) *dirsyncv1.CreateEnrollmentLinkResponse {
		resp, err := c.CreateEnrollmentLink(ctx, &dirsyncv1.CreateEnrollmentLinkRequest{Directory: dir, UserId: user})
		require.NoError(t, err)
		return resp
	}
	pendingU1, redeemedU1, pendingU2, otherDir := create("a", "u1"), create("a", "u1"), create("a", "u2"), create("b", "u1")
	_, err := c.RedeemEnrollment(ctx, &dirsyncv1.RedeemEnrollmentRequest{Token: tokenOf(t, redeemedU1.Link), UserId: "u1"})
	require.NoError(t, err)

	live := func(r *dirsyncv1.CreateEnrollmentLinkResponse) bool {
		_, err := st.Get(ctx, enrollmentType, r.Enrollment.Directory, r.Enrollment.Id)
		return err == nil
	}
	apply(t, st, "a", deleted(testUser("a", "u1")))
	require.Eventually(t, func() bool { return !live(pendingU1) }, 5*time.Second, 10*time.Millisecond)
	_, err = c.RedeemEnrollment(ctx, &dirsyncv1.RedeemEnrollmentRequest{Token: tokenOf(t, pendingU1.Link), UserId: "u1"})
	requireReason(t, err, codes.NotFound, ReasonEnrollmentRevoked)

	apply(t, st, "a", suspended("a", "u2"))
	require.Eventually(t, func() bool { return !live(pendingU2) }, 5*time.Second, 10*time.Millisecond)
	require.True(t, live(redeemedU1), "a redeemed enrollment stays")
	require.True(t, live(otherDir), "a user of another directory is another user")
}

// TestEnrollmentSweepAtStart: links of users deleted while no server ran are revoked when
// one starts.
func TestEnrollmentSweepAtStart(t *testing.T) {
	ctx := context.Background()
	st := memory.New()
	pending := func(id, user string) *dirsyncv1.Record {
		return &dirsyncv1.Record{Type: enrollmentType, Directory: "a", Id: id, Data: &dirsyncv1.Record_Enrollment{Enrollment: &dirsyncv1.Enrollment{
			Id: id, Directory: "a", UserId: user, DeviceType: "any", State: dirsyncv1.EnrollmentState_ENROLLMENT_STATE_PENDING}}}
	}
	apply(t, st, "a", testUser("a", "u1"), suspended("a", "u3"), pending("e1", "u1"), pending("e2", "u2"), pending("e3", "u3"))
	startServer(t, st, Options{Enrollment: enrollmentOptions()})
	require.Eventually(t, func() bool {
		_, err2 := st.Get(ctx, enrollmentType, "a", "e2")
		_, err3 := st.Get(ctx, enrollmentType, "a", "e3")
		return err2 != nil && err3 != nil
	}, 5*time.Second, 10*time.Millisecond)
	_, err := st.Get(ctx, enrollmentType, "a", "e1")
	require.NoError(t, err, "an active user's link stays")
}

func suspended(dir, id string) *dirsyncv1.Record {
	r := testUser(dir, id)
	r.GetUser().State = dirsyncv1.UserState_USER_STATE_SUSPENDED
	return r
}

func mustVersions(t *testing.T, st store.Store) store.Versions {
	t.Helper()
	v, err := st.Versions(context.Background())
	require.NoError(t, err)
	return v
}

// TestEnrollmentRedeemOnce: concurrent redemptions of one token; exactly one succeeds.
func TestEnrollmentRedeemOnce(t *testing.T) {
	ctx := context.Background()
	_, _, c := startEnrollment(t, enrollmentOptions())
	resp, err := c.CreateEnrollmentLink(ctx, &dirsyncv1.CreateEnrollmentLinkRequest{Directory: "a", UserId: "u1"})
	require.NoError(t, err)
	const n = 8
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := c.RedeemEnrollment(ctx, &dirsyncv1.RedeemEnrollmentRequest{Token: tokenOf(t, resp.Link), UserId: "u1"})
			errs <- err
		}()
	}
	ok := 0
	for range n {
		if err := <-errs; err == nil {
			ok++
		} else {
			requireReason(t, err, codes.FailedPrecondition, ReasonEnrollmentRedeemed)
		}
	}
	require.Equal(t, 1, ok)
}

// TestEnrollmentREST: the gateway serves the service's routes.
func TestEnrollmentREST(t *testing.T) {
	ts, _, _ := startEnrollment(t, enrollmentOptions())
	res, err := http.Post(ts.httpURL+"/v1/directories/a/users/u1/enrollments", "application/json", strings.NewReader(`{"device_type":"enclave_only","ttl":"3600s"}`))
	require.NoError(t, err)
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	require.Equal(t, http.StatusOK, res.StatusCode, string(body))
	var created dirsyncv1.CreateEnrollmentLinkResponse
	require.NoError(t, protojson.Unmarshal(body, &created))
	require.Equal(t, "enclave_only", created.Enrollment.DeviceType)

	res2, err := http.Get(ts.httpURL + "/v1/directories/a/enrollments?user_id=u1")
	require.NoError(t, err)
	defer res2.Body.Close()
	body, _ = io.ReadAll(res2.Body)
	require.Equal(t, http.StatusOK, res2.StatusCode, string(body))
	require.Contains(t, string(body), created.Enrollment.Id)
}
