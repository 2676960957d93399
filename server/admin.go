package server

import (
	"context"
	"slices"
	"strings"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/providers"
)

// Syncer is what the server needs of the directory syncer (syncer.Syncer).
type Syncer interface {
	// Status returns the configured directories' statuses, sorted by name.
	Status() []*dirsyncv1.DirectoryStatus
	// Configured reports whether dir is a configured directory.
	Configured(dir string) bool
	// Trigger runs dir's sync now and returns its status and the record_version after it.
	Trigger(ctx context.Context, dir string, force bool) (*dirsyncv1.DirectoryStatus, uint64, error)
	// Purge deletes the records of an unconfigured directory.
	Purge(ctx context.Context, dir string) (int, uint64, error)
}

// Sinks is what the server needs of the configured sinks.
type Sinks interface {
	// Status returns the sinks' statuses, sorted by name.
	Status() []*dirsyncv1.SinkStatus
}

func (s *syncService) GetSyncStatus(_ context.Context, req *dirsyncv1.GetSyncStatusRequest) (*dirsyncv1.GetSyncStatusResponse, error) {
	all := s.statuses()
	if dir := req.GetDirectory(); dir != "" {
		i := slices.IndexFunc(all, func(st *dirsyncv1.DirectoryStatus) bool { return st.Directory == dir })
		if i < 0 {
			return nil, notFound("directory", dir, dir, errNoDirectory)
		}
		all = all[i : i+1]
	}
	resp := &dirsyncv1.GetSyncStatusResponse{Directories: all}
	if s.sinks != nil && req.GetDirectory() == "" {
		resp.Sinks = s.sinks.Status()
	}
	return resp, nil
}

// statuses returns the configured directories' statuses and, for directories the store still
// holds but the configuration no longer names, ORPHANED ones, sorted by name.
func (s *syncService) statuses() []*dirsyncv1.DirectoryStatus {
	var out []*dirsyncv1.DirectoryStatus
	if s.syncer != nil {
		out = s.syncer.Status()
	}
	for _, dir := range s.replica.Directories() {
		if s.syncer != nil && s.syncer.Configured(dir) {
			continue
		}
		users, groups := s.replica.Counts(dir)
		out = append(out, &dirsyncv1.DirectoryStatus{Directory: dir, State: dirsyncv1.SyncState_SYNC_STATE_ORPHANED,
			Users: int64(users), Groups: int64(groups), RecordVersion: s.replica.Version()})
	}
	slices.SortFunc(out, func(a, b *dirsyncv1.DirectoryStatus) int { return strings.Compare(a.Directory, b.Directory) })
	return out
}

func (s *syncService) TriggerSync(ctx context.Context, req *dirsyncv1.TriggerSyncRequest) (*dirsyncv1.TriggerSyncResponse, error) {
	if err := required("directory", req.GetDirectory()); err != nil {
		return nil, err
	}
	if s.syncer == nil || !s.syncer.Configured(req.GetDirectory()) {
		return nil, notFound("configured directory", req.GetDirectory(), req.GetDirectory(), errNoDirectory)
	}
	st, v, err := s.syncer.Trigger(ctx, req.GetDirectory(), req.GetForce())
	if err != nil {
		return nil, err
	}
	return &dirsyncv1.TriggerSyncResponse{Status: st, RecordVersion: v}, nil
}

func (s *syncService) PurgeDirectory(ctx context.Context, req *dirsyncv1.PurgeDirectoryRequest) (*dirsyncv1.PurgeDirectoryResponse, error) {
	if err := required("directory", req.GetDirectory()); err != nil {
		return nil, err
	}
	if s.syncer == nil {
		return nil, errNoSyncer
	}
	n, v, err := s.syncer.Purge(ctx, req.GetDirectory())
	if err != nil {
		return nil, err
	}
	return &dirsyncv1.PurgeDirectoryResponse{DeletedRecords: int64(n), RecordVersion: v}, nil
}

func (s *syncService) ListProviderTypes(context.Context, *dirsyncv1.ListProviderTypesRequest) (*dirsyncv1.ListProviderTypesResponse, error) {
	resp := &dirsyncv1.ListProviderTypesResponse{}
	if s.providers == nil {
		return resp, nil
	}
	for _, t := range s.providers.Types() {
		resp.ProviderTypes = append(resp.ProviderTypes, providerTypeProto(t))
	}
	return resp, nil
}

// providerTypeProto returns the API form of a provider type's schema.
func providerTypeProto(t *providers.Type) *dirsyncv1.ProviderType {
	pt := &dirsyncv1.ProviderType{Name: t.Name, Title: t.Title}
	for _, o := range t.Options {
		pt.Options = append(pt.Options, &dirsyncv1.ProviderOption{Name: o.Name, Description: o.Description, Type: o.Type,
			Required: o.Required, Secret: o.Secret, DefaultValue: o.Default})
	}
	return pt
}
