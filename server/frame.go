package server

import (
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
)

// Batches of records are sent without re-encoding: a SyncResponse or SyncLatestResponse with
// only `repeated Record records = 1` is, on the wire, the concatenation of (tag 1, length,
// record bytes) for each record, and the store keeps every record's deterministic encoding.
// A frame is such a pre-built message; the server codec passes its bytes through unchanged.

const (
	// maxFrameRecords and maxFrameBytes bound one batch message.
	maxFrameRecords = 1000
	maxFrameBytes   = 256 << 10
)

// frame builds one batch message in a pooled buffer. The zero value is empty and ready.
type frame struct {
	buf   *[]byte
	count int
}

// add appends one encoded Record as element of field 1.
func (f *frame) add(record []byte) {
	if f.buf == nil {
		f.buf = framePool.Get(maxFrameBytes + len(record) + 16)
		*f.buf = (*f.buf)[:0]
	}
	b := protowire.AppendTag(*f.buf, 1, protowire.BytesType)
	*f.buf = protowire.AppendBytes(b, record)
	f.count++
}

// full reports whether the frame reached its record or byte limit.
func (f *frame) full() bool {
	return f.count >= maxFrameRecords || (f.buf != nil && len(*f.buf) >= maxFrameBytes)
}

// take returns the message to send and resets f. The buffer returns to the pool once gRPC
// has written it.
func (f *frame) take() *rawMessage {
	m := &rawMessage{buf: mem.NewBuffer(f.buf, framePool)}
	f.buf, f.count = nil, 0
	return m
}

var framePool = mem.DefaultBufferPool()

// rawMessage is a pre-encoded message for the server codec.
type rawMessage struct{ buf mem.Buffer }

// codec is the server's codec: protobuf, except that a *rawMessage is sent as is.
type codec struct{ proto encoding.CodecV2 }

func newCodec() codec { return codec{proto: encoding.GetCodecV2("proto")} }

func (c codec) Marshal(v any) (mem.BufferSlice, error) {
	if m, ok := v.(*rawMessage); ok {
		return mem.BufferSlice{m.buf}, nil
	}
	return c.proto.Marshal(v)
}

func (c codec) Unmarshal(data mem.BufferSlice, v any) error { return c.proto.Unmarshal(data, v) }

func (c codec) Name() string { return c.proto.Name() }
