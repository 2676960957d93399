package server

import (
	"cmp"
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/dirsync/dirsync/enrollment"
	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store"
)

// EnrollmentOptions configure DeviceEnrollmentService. With no Secrets the service is still
// registered but every call fails FAILED_PRECONDITION (ENROLLMENT_NOT_CONFIGURED).
type EnrollmentOptions struct {
	// BaseURL is the links' base URL (e.g. https://authenticate.example.com) for directories
	// not in DirectoryBaseURLs.
	BaseURL string
	// DirectoryBaseURLs are per-directory base URLs, by directory name.
	DirectoryBaseURLs map[string]string
	// Secrets sign and verify tokens: the first signs new links, every one verifies.
	Secrets [][]byte
	// DeviceTypes are custom device type ids accepted besides "any" and "enclave_only".
	DeviceTypes []string
}

// Device types every server accepts, and the TTL bounds of a link.
const (
	DeviceTypeAny         = "any"
	DeviceTypeEnclaveOnly = "enclave_only"
	defaultEnrollmentTTL  = 7 * 24 * time.Hour
	maxEnrollmentTTL      = 30 * 24 * time.Hour
)

const enrollmentType = dirsyncv1.RecordType_RECORD_TYPE_ENROLLMENT

// enrollmentService implements DeviceEnrollmentService over the store (the enrollments) and
// the replica (their users, via q).
type enrollmentService struct {
	dirsyncv1.UnimplementedDeviceEnrollmentServiceServer
	store store.Store
	q     *queryService
	opts  EnrollmentOptions
	now   func() time.Time
}

// ready fails every call when enrollment is not configured.
func (e *enrollmentService) ready() error {
	if len(e.opts.Secrets) == 0 {
		return errEnrollmentNotConfigured
	}
	return nil
}

func (e *enrollmentService) CreateEnrollmentLink(ctx context.Context, req *dirsyncv1.CreateEnrollmentLinkRequest) (*dirsyncv1.CreateEnrollmentLinkResponse, error) {
	if err := e.ready(); err != nil {
		return nil, err
	}
	dir := req.GetDirectory()
	if err := e.q.begin(ctx, dir, 0); err != nil {
		return nil, err
	}
	if err := required("user_id", req.GetUserId()); err != nil {
		return nil, err
	}
	typ := cmp.Or(req.GetDeviceType(), DeviceTypeAny)
	if typ != DeviceTypeAny && typ != DeviceTypeEnclaveOnly && !slices.Contains(e.opts.DeviceTypes, typ) {
		return nil, invalidField("device_type", "must be %q, %q or a configured custom type, got %q", DeviceTypeAny, DeviceTypeEnclaveOnly, typ)
	}
	ttl := defaultEnrollmentTTL
	if req.GetTtl() != nil {
		if err := req.GetTtl().CheckValid(); err != nil {
			return nil, invalidField("ttl", "%v", err)
		}
		ttl = req.GetTtl().AsDuration()
	}
	if ttl <= 0 || ttl > maxEnrollmentTTL {
		return nil, invalidField("ttl", "must be positive and at most %v, got %v", maxEnrollmentTTL, ttl)
	}
	if r := req.GetRedirectUrl(); r != "" {
		if u, err := url.Parse(r); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, invalidField("redirect_url", "must be an absolute http(s) URL")
		}
	}
	base := cmp.Or(e.opts.DirectoryBaseURLs[dir], e.opts.BaseURL)
	if base == "" {
		return nil, errEnrollmentNotConfigured
	}
	u, err := e.q.replica.User(dir, req.GetUserId())
	if err != nil {
		return nil, notFound("user", req.GetUserId(), dir, err)
	}
	if u.GetState() == dirsyncv1.UserState_USER_STATE_SUSPENDED {
		return nil, errUserSuspended
	}
	now := e.now()
	id := enrollment.NewID()
	expiry := now.Add(ttl).Truncate(time.Millisecond)
	en := &dirsyncv1.Enrollment{
		Id: id.String(), Directory: dir, UserId: u.GetId(), DeviceType: typ,
		State:     dirsyncv1.EnrollmentState_ENROLLMENT_STATE_PENDING,
		CreatedAt: timestamppb.New(now), ExpiresAt: timestamppb.New(expiry), RedirectUrl: req.GetRedirectUrl(),
	}
	v, err := e.put(ctx, en)
	if err != nil {
		return nil, err
	}
	tok := enrollment.Sign(id, expiry, e.opts.Secrets[0])
	link := strings.TrimRight(base, "/") + "/.pomerium/webauthn?" +
		url.Values{"pomerium_device_type": {typ}, "pomerium_enrollment_token": {tok}}.Encode()
	return &dirsyncv1.CreateEnrollmentLinkResponse{Enrollment: en, Link: link, RecordVersion: v}, nil
}

func (e *enrollmentService) GetEnrollment(ctx context.Context, req *dirsyncv1.GetEnrollmentRequest) (*dirsyncv1.GetEnrollmentResponse, error) {
	if err := e.ready(); err != nil {
		return nil, err
	}
	if err := errors.Join(required("directory", req.GetDirectory()), required("id", req.GetId())); err != nil {
		return nil, err
	}
	en, err := e.get(ctx, req.GetDirectory(), req.GetId())
	if err != nil {
		return nil, notFound("enrollment", req.GetId(), req.GetDirectory(), err)
	}
	return &dirsyncv1.GetEnrollmentResponse{Enrollment: en}, nil
}

func (e *enrollmentService) RevokeEnrollment(ctx context.Context, req *dirsyncv1.RevokeEnrollmentRequest) (*dirsyncv1.RevokeEnrollmentResponse, error) {
	if err := e.ready(); err != nil {
		return nil, err
	}
	dir, id := req.GetDirectory(), req.GetId()
	if err := errors.Join(required("directory", dir), required("id", id)); err != nil {
		return nil, err
	}
	var v uint64
	err := e.locked(ctx, dir, id, func() error {
		if _, err := e.get(ctx, dir, id); err != nil {
			return notFound("enrollment", id, dir, err)
		}
		var err error
		v, err = e.tombstone(ctx, dir, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &dirsyncv1.RevokeEnrollmentResponse{RecordVersion: v}, nil
}

// get returns the live enrollment with that key, or store.ErrNotFound.
func (e *enrollmentService) get(ctx context.Context, dir, id string) (*dirsyncv1.Enrollment, error) {
	r, err := e.store.Get(ctx, enrollmentType, dir, id)
	if err != nil {
		return nil, err
	}
	rec, err := r.Decode()
	if err != nil {
		return nil, err
	}
	return rec.GetEnrollment(), nil
}

// put writes en and returns its record version.
func (e *enrollmentService) put(ctx context.Context, en *dirsyncv1.Enrollment) (uint64, error) {
	rec := &dirsyncv1.Record{Type: enrollmentType, Directory: en.GetDirectory(), Id: en.GetId(),
		Data: &dirsyncv1.Record_Enrollment{Enrollment: proto.Clone(en).(*dirsyncv1.Enrollment)}}
	v, err := e.store.Apply(ctx, store.Batch{Directory: en.GetDirectory(), Records: []*dirsyncv1.Record{rec}})
	return v.Latest, err
}

// tombstone deletes the enrollment and returns the store's latest version after it.
func (e *enrollmentService) tombstone(ctx context.Context, dir, id string) (uint64, error) {
	v, err := e.store.Apply(ctx, store.Batch{Directory: dir, Records: []*dirsyncv1.Record{
		{Type: enrollmentType, Directory: dir, Id: id, Deleted: true},
	}})
	return v.Latest, err
}
