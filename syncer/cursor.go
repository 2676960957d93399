package syncer

import (
	"bytes"
	"encoding/binary"
	"time"
)

// envelope is what the syncer stores as a directory's cursor: the provider's opaque cursor
// plus the time of the last full sync, so that a full sync runs at least every
// FullSyncInterval across restarts and replicas.
//
// Encoding: the magic "dsc1", the last full sync as 8 bytes of big-endian Unix nanoseconds
// (0 for never), then the provider's cursor. Bytes without the magic (not written by this
// syncer) decode as a provider cursor with no full sync recorded, which makes the next
// run a full one.
type envelope struct {
	lastFull time.Time
	provider []byte // nil: none
}

const envelopeMagic = "dsc1"

func (e envelope) encode() []byte {
	b := make([]byte, 0, len(envelopeMagic)+8+len(e.provider))
	b = append(b, envelopeMagic...)
	var nanos int64
	if !e.lastFull.IsZero() {
		nanos = e.lastFull.UnixNano()
	}
	b = binary.BigEndian.AppendUint64(b, uint64(nanos))
	return append(b, e.provider...)
}

func decodeEnvelope(b []byte) envelope {
	rest, ok := bytes.CutPrefix(b, []byte(envelopeMagic))
	if !ok || len(rest) < 8 {
		return envelope{provider: nonEmpty(b)}
	}
	var e envelope
	if nanos := int64(binary.BigEndian.Uint64(rest)); nanos != 0 {
		e.lastFull = time.Unix(0, nanos)
	}
	e.provider = nonEmpty(bytes.Clone(rest[8:]))
	return e
}

func nonEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}
