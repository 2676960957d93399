package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"fmt"
	"log/slog"
	"strings"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/auth"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	reflectionv1 "google.golang.org/grpc/reflection/grpc_reflection_v1"
	reflectionv1alpha "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"
	"google.golang.org/grpc/status"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// Role is what a caller may do. Each role includes the rights of the roles below it.
type Role int

// Roles, least privileged first.
const (
	// RoleNone may call nothing but health and reflection.
	RoleNone Role = iota
	// RoleSubscriber may stream records (Sync, SyncLatest).
	RoleSubscriber
	// RoleReader may also query the directory and read the sync status.
	RoleReader
	// RoleAdmin may also trigger syncs, purge directories and manage device enrollments.
	RoleAdmin
)

var roleNames = map[Role]string{RoleNone: "none", RoleSubscriber: "subscriber", RoleReader: "reader", RoleAdmin: "admin"}

func (r Role) String() string { return roleNames[r] }

// ParseRole returns the role named s (subscriber, reader or admin).
func ParseRole(s string) (Role, error) {
	for r, name := range roleNames {
		if name == s && r != RoleNone {
			return r, nil
		}
	}
	return RoleNone, fmt.Errorf("unknown role %q (subscriber, reader, admin)", s)
}

// methodRoles is the least role that may call each method of the dirsync services. A method
// missing here is refused to everyone when auth is on (and TestEveryMethodHasARole fails).
var methodRoles = map[string]Role{
	dirsyncv1.SyncService_SyncLatest_FullMethodName:        RoleSubscriber,
	dirsyncv1.SyncService_Sync_FullMethodName:              RoleSubscriber,
	dirsyncv1.SyncService_GetSyncStatus_FullMethodName:     RoleReader,
	dirsyncv1.SyncService_ListProviderTypes_FullMethodName: RoleReader,
	dirsyncv1.SyncService_TriggerSync_FullMethodName:       RoleAdmin,
	dirsyncv1.SyncService_PurgeDirectory_FullMethodName:    RoleAdmin,

	dirsyncv1.DirectoryQuery_GetUser_FullMethodName:          RoleReader,
	dirsyncv1.DirectoryQuery_ListUsers_FullMethodName:        RoleReader,
	dirsyncv1.DirectoryQuery_GetGroup_FullMethodName:         RoleReader,
	dirsyncv1.DirectoryQuery_ListGroups_FullMethodName:       RoleReader,
	dirsyncv1.DirectoryQuery_ListGroupMembers_FullMethodName: RoleReader,
	dirsyncv1.DirectoryQuery_ListUserGroups_FullMethodName:   RoleReader,
	dirsyncv1.DirectoryQuery_EvaluatePolicy_FullMethodName:   RoleReader,

	dirsyncv1.DeviceEnrollmentService_CreateEnrollmentLink_FullMethodName: RoleAdmin,
	dirsyncv1.DeviceEnrollmentService_RedeemEnrollment_FullMethodName:     RoleAdmin,
	dirsyncv1.DeviceEnrollmentService_ListEnrollments_FullMethodName:      RoleAdmin,
	dirsyncv1.DeviceEnrollmentService_GetEnrollment_FullMethodName:        RoleAdmin,
	dirsyncv1.DeviceEnrollmentService_RevokeEnrollment_FullMethodName:     RoleAdmin,
}

// openServices need no credentials: probes and grpcurl's discovery.
var openServices = map[string]bool{
	healthpb.Health_ServiceDesc.ServiceName:                    true,
	reflectionv1.ServerReflection_ServiceDesc.ServiceName:      true,
	reflectionv1alpha.ServerReflection_ServiceDesc.ServiceName: true,
}

// APIKey is one accepted bearer key, known only by its SHA-256.
type APIKey struct {
	// Name identifies the key in logs.
	Name string
	Role Role
	// SHA256 is the hash of the key.
	SHA256 [sha256.Size]byte
}

// AuthOptions configure authentication. With no API keys and no client certificate roles
// auth is off and every call is allowed: the caller must then listen on loopback only.
type AuthOptions struct {
	APIKeys []APIKey
	// ClientCertRoles maps the subject of a verified TLS client certificate (RFC 2253 form
	// as x509's pkix.Name.String prints it) to its role.
	ClientCertRoles map[string]Role
}

// Enabled reports whether any credential is configured.
func (o AuthOptions) Enabled() bool { return len(o.APIKeys) > 0 || len(o.ClientCertRoles) > 0 }

// principal is an authenticated caller.
type principal struct {
	name string // "key NAME" or "cert SUBJECT"
	role Role
}

type principalKey struct{}

// authenticator checks every call against AuthOptions and methodRoles.
type authenticator struct {
	opts AuthOptions
	log  *slog.Logger
	// gatewayToken, when not empty, is the secret by which the REST gateway vouches for
	// the client certificate of the HTTP caller it relays.
	gatewayToken string
}

// authorize returns ctx with the caller's principal, or UNAUTHENTICATED (no or unknown
// credentials) or PERMISSION_DENIED (a role too low for the method). It logs each refusal
// with the peer address and the reason, never the key or its hash.
func (a *authenticator) authorize(ctx context.Context) (context.Context, error) {
	method, _ := grpc.Method(ctx)
	if service, _, ok := strings.Cut(strings.TrimPrefix(method, "/"), "/"); ok && openServices[service] {
		return ctx, nil
	}
	if !a.opts.Enabled() {
		return ctx, nil
	}
	p, err := a.identify(ctx)
	if err != nil {
		a.refuse(ctx, method, "", err)
		return nil, err
	}
	need, listed := methodRoles[method]
	switch {
	case !listed:
		err = status.Errorf(codes.PermissionDenied, "%s is not open to any role", method)
	case p.role < need:
		err = status.Errorf(codes.PermissionDenied, "%s has role %s; %s needs %s", p.name, p.role, method, need)
	}
	if err != nil {
		a.refuse(ctx, method, p.name, err)
		return nil, err
	}
	return context.WithValue(ctx, principalKey{}, p), nil
}

// identify finds the caller: a bearer key when the call carries one, else a verified
// client certificate.
func (a *authenticator) identify(ctx context.Context) (principal, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	if vals := md.Get("authorization"); len(vals) > 0 {
		scheme, key, ok := strings.Cut(vals[0], " ")
		if !ok || !strings.EqualFold(scheme, "bearer") || key == "" {
			return principal{}, status.Error(codes.Unauthenticated, "authorization: want \"Bearer KEY\"")
		}
		if k, ok := a.matchKey(key); ok {
			return principal{name: "key " + k.Name, role: k.Role}, nil
		}
		return principal{}, status.Error(codes.Unauthenticated, "unknown API key")
	}
	if subject, ok := a.clientSubject(ctx, md); ok {
		if r, ok := a.opts.ClientCertRoles[subject]; ok {
			return principal{name: "cert " + subject, role: r}, nil
		}
		return principal{}, status.Errorf(codes.PermissionDenied, "client certificate %q has no role", subject)
	}
	return principal{}, status.Error(codes.Unauthenticated, "no credentials: send \"authorization: Bearer KEY\" or a client certificate")
}

// matchKey compares the key's hash with every configured hash in constant time, visiting all
// of them whatever matches, so timing tells nothing about which keys exist.
func (a *authenticator) matchKey(key string) (APIKey, bool) {
	sum := sha256.Sum256([]byte(key))
	var found APIKey
	match := 0
	for _, k := range a.opts.APIKeys {
		if subtle.ConstantTimeCompare(sum[:], k.SHA256[:]) == 1 {
			found, match = k, 1
		}
	}
	return found, match == 1
}

// gatewayClientKey carries, on a call the REST gateway relays, the subject of the client
// certificate the HTTP caller presented, after the gateway's token: "TOKEN SUBJECT".
const gatewayClientKey = "x-dirsync-gateway-client-bin"

// clientSubject returns the subject of the caller's verified client certificate: the one
// presented on this connection or, for a call relayed by this server's REST gateway (proved
// by the gateway's token, which never leaves the process), the one presented to the gateway.
func (a *authenticator) clientSubject(ctx context.Context, md metadata.MD) (string, bool) {
	if p, ok := peer.FromContext(ctx); ok {
		if info, ok := p.AuthInfo.(credentials.TLSInfo); ok {
			if subject, ok := verifiedSubject(info.State); ok {
				return subject, true
			}
		}
	}
	if a.gatewayToken == "" {
		return "", false
	}
	for _, v := range md.Get(gatewayClientKey) {
		token, subject, ok := strings.Cut(v, " ")
		if ok && subtle.ConstantTimeCompare([]byte(token), []byte(a.gatewayToken)) == 1 {
			return subject, true
		}
	}
	return "", false
}

// verifiedSubject returns the subject of the peer's certificate when TLS verified it against
// the client CAs.
func verifiedSubject(cs tls.ConnectionState) (string, bool) {
	if len(cs.VerifiedChains) == 0 || len(cs.VerifiedChains[0]) == 0 {
		return "", false
	}
	return cs.VerifiedChains[0][0].Subject.String(), true
}

func (a *authenticator) refuse(ctx context.Context, method, who string, err error) {
	attrs := []any{"method", method, "code", status.Code(err).String(), "reason", status.Convert(err).Message()}
	if p, ok := peer.FromContext(ctx); ok {
		attrs = append(attrs, "peer", p.Addr.String())
	}
	if md, _ := metadata.FromIncomingContext(ctx); len(md.Get("x-forwarded-for")) > 0 {
		attrs = append(attrs, "forwarded_for", strings.Join(md.Get("x-forwarded-for"), ","))
	}
	if who != "" {
		attrs = append(attrs, "principal", who)
	}
	a.log.WarnContext(ctx, "call refused", attrs...)
}

func (a *authenticator) unary() grpc.UnaryServerInterceptor {
	return auth.UnaryServerInterceptor(a.authorize)
}

func (a *authenticator) stream() grpc.StreamServerInterceptor {
	return auth.StreamServerInterceptor(a.authorize)
}
