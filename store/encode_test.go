package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store"
)

// TestPrepareStampsLikeStamp checks that Prepare and a Stamper produce exactly Stamp's bytes,
// and leave the record alone.
func TestPrepareStampsLikeStamp(t *testing.T) {
	attrs, err := structpb.NewStruct(map[string]any{"z": 1, "a": []any{"x", true}, "m": map[string]any{"k": "v", "b": nil}})
	require.NoError(t, err)
	withUnknown := &dirsyncv1.Record{Type: dirsyncv1.RecordType_RECORD_TYPE_GROUP, Directory: "d", Id: "g", Data: &dirsyncv1.Record_Group{Group: &dirsyncv1.Group{Name: "n"}}}
	withUnknown.ProtoReflect().SetUnknown(protowire.AppendVarint(protowire.AppendTag(nil, 99, protowire.VarintType), 7))
	long := string(make([]byte, 300))
	at := time.Date(2026, 5, 4, 3, 2, 1, 123456789, time.UTC)
	for name, r := range map[string]*dirsyncv1.Record{
		"user": {Type: dirsyncv1.RecordType_RECORD_TYPE_USER, Directory: "corp", Id: "00u1", Data: &dirsyncv1.Record_User{User: &dirsyncv1.User{
			Id: "00u1", Directory: "corp", DisplayName: "Zoë", Email: "z@example.com", State: dirsyncv1.UserState_USER_STATE_SUSPENDED,
			GroupIds: []string{"a", "b"}, EffectiveGroupIds: []string{"a", "b", "c"}, Attributes: attrs,
		}}},
		"empty user":            {Type: dirsyncv1.RecordType_RECORD_TYPE_USER, Directory: "d", Id: "u", Data: &dirsyncv1.Record_User{User: &dirsyncv1.User{}}},
		"long directory and id": {Type: dirsyncv1.RecordType_RECORD_TYPE_GROUP, Directory: long, Id: long, Data: &dirsyncv1.Record_Group{Group: &dirsyncv1.Group{Description: long}}},
		"stale store fields":    {Version: 9, ModifiedAt: nil, Type: dirsyncv1.RecordType_RECORD_TYPE_USER, Directory: "d", Id: "u", Data: &dirsyncv1.Record_User{User: &dirsyncv1.User{Id: "u"}}},
		"unknown fields":        withUnknown,
	} {
		t.Run(name, func(t *testing.T) {
			before := proto.Clone(r)
			p, err := store.Prepare(r, nil)
			require.NoError(t, err)
			require.True(t, proto.Equal(before, r), "Prepare modified the record")
			s := store.NewStamper(at)
			for _, v := range []uint64{1, 127, 128, 1 << 40} {
				want, err := store.Stamp(proto.Clone(r).(*dirsyncv1.Record), v, at)
				require.NoError(t, err)
				got := s.Append([]byte("prefix"), p, v)
				require.Equal(t, want.Data, got[len("prefix"):], "version %d", v)
				require.Equal(t, len(want.Data), s.Size(p, v))
			}
		})
	}
	_, err = store.Prepare(&dirsyncv1.Record{Type: dirsyncv1.RecordType_RECORD_TYPE_USER, Directory: "d", Id: "\xff", Data: &dirsyncv1.Record_User{User: &dirsyncv1.User{}}}, nil)
	require.ErrorIs(t, err, store.ErrInvalid)
	_, err = store.Prepare(&dirsyncv1.Record{Type: dirsyncv1.RecordType_RECORD_TYPE_USER, Directory: "d", Id: "u", Data: &dirsyncv1.Record_User{User: &dirsyncv1.User{Email: "\xff"}}}, nil)
	require.ErrorIs(t, err, store.ErrInvalid)
}
