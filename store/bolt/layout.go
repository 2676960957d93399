package bolt

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	bbolt "go.etcd.io/bbolt"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
	"github.com/dirsync/dirsync/store"
)

// The file holds six buckets:
//
//	meta     format, server_version, latest, earliest: 8-byte big-endian integers
//	records  type byte | directory | 0x00 | id  →  version | stored record
//	changes  version                            →  committed | type | deleted | uvarint len | directory | uvarint len | id | stored record
//	cursors  directory                          →  provider cursor
//	leases   name                               →  expires | holder
//	statuses directory                          →  sync status (opaque bytes)
//
// Versions and times (unix nanoseconds) are 8-byte big-endian, so the change log is in
// version order and appends at its end. Record keys sort as (type, directory, id) because
// directories hold no NUL byte (store.Batch.Check), so a filter on type or directory is a
// prefix seek.
var (
	bucketMeta    = []byte("meta")
	bucketRecords = []byte("records")
	bucketChanges = []byte("changes")
	bucketCursors = []byte("cursors")
	bucketLeases  = []byte("leases")
	// bucketStatuses was added within format 1: Open creates it in a file that lacks it.
	bucketStatuses = []byte("statuses")

	keyFormat   = []byte("format")
	keyServer   = []byte("server_version")
	keyLatest   = []byte("latest")
	keyEarliest = []byte("earliest")
)

// format is the layout version this package reads and writes.
const format = 1

const u64 = 8

// readVersions returns the versions recorded in the meta bucket.
func readVersions(tx *bbolt.Tx) store.Versions {
	m := tx.Bucket(bucketMeta)
	return store.Versions{ServerVersion: getU64(m, keyServer), Latest: getU64(m, keyLatest), Earliest: getU64(m, keyEarliest)}
}

func getU64(b *bbolt.Bucket, k []byte) uint64 {
	v := b.Get(k)
	if len(v) != u64 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

func putU64(b *bbolt.Bucket, k []byte, n uint64) error {
	return b.Put(k, binary.BigEndian.AppendUint64(make([]byte, 0, u64), n))
}

// typeByte returns the key byte of t; types outside 1…255 are never stored.
func typeByte(t dirsyncv1.RecordType) (byte, bool) {
	return byte(t), t > 0 && t <= 255
}

// recordPrefix returns the key prefix of the records of type t in directory dir.
func recordPrefix(t byte, dir string) []byte {
	p := make([]byte, 0, len(dir)+2)
	return append(append(append(p, t), dir...), 0)
}

// splitRecordKey returns the directory and id in a records key.
func splitRecordKey(k []byte) (dir, id []byte, ok bool) {
	if i := bytes.IndexByte(k, 0); i > 0 {
		return k[1:i], k[i+1:], true
	}
	return nil, nil, false
}

func errCorrupt(k []byte) error { return fmt.Errorf("bolt: corrupt entry %q", k) }

// arena hands out byte slices carved from larger chunks, so that a batch of puts (whose keys
// and values bolt keeps until the commit) or a page of changes costs few allocations. A
// slice it returns is never reused. Chunks double from 4 KiB to 1 MiB.
type arena struct{ buf []byte }

func (a *arena) take(n int) []byte {
	if cap(a.buf)-len(a.buf) < n {
		a.buf = make([]byte, 0, max(n, min(1<<20, 2*cap(a.buf)), 4<<10))
	}
	start := len(a.buf)
	a.buf = a.buf[:start+n]
	return a.buf[start : start+n : start+n]
}

func (a *arena) clone(b []byte) []byte {
	out := a.take(len(b))
	copy(out, b)
	return out
}

func (a *arena) recordKey(t byte, dir, id string) []byte {
	k := a.take(len(dir) + len(id) + 2)
	k[0] = t
	n := copy(k[1:], dir)
	k[1+n] = 0
	copy(k[2+n:], id)
	return k
}

func (a *arena) versionKey(version uint64) []byte {
	k := a.take(u64)
	binary.BigEndian.PutUint64(k, version)
	return k
}

func (a *arena) changeValue(at time.Time, r store.Record) []byte {
	n := u64 + 2 + binary.MaxVarintLen64*2 + len(r.Directory) + len(r.ID) + len(r.Data)
	v := binary.BigEndian.AppendUint64(a.take(n)[:0], uint64(at.UnixNano()))
	deleted := byte(0)
	if r.Deleted {
		deleted = 1
	}
	v = append(v, byte(r.Type), deleted)
	v = append(binary.AppendUvarint(v, uint64(len(r.Directory))), r.Directory...)
	v = append(binary.AppendUvarint(v, uint64(len(r.ID))), r.ID...)
	return append(v, r.Data...)
}

// changeTime returns the commit time, in unix nanoseconds, of a changes value.
func changeTime(v []byte) int64 {
	return int64(binary.BigEndian.Uint64(v))
}

// decodeChange decodes a changes entry, copying its data into a. dir is the directory of the
// previous change decoded, reused to save an allocation when it is the same.
func decodeChange(k, v []byte, dir string, a *arena) (store.Record, error) {
	bad := func() (store.Record, error) { return store.Record{}, errCorrupt(k) }
	if len(k) != u64 || len(v) < u64+2 {
		return bad()
	}
	r := store.Record{Version: binary.BigEndian.Uint64(k), Type: dirsyncv1.RecordType(v[u64]), Deleted: v[u64+1] == 1}
	rest := v[u64+2:]
	d, rest, ok := cutLen(rest)
	if !ok {
		return bad()
	}
	id, rest, ok := cutLen(rest)
	if !ok {
		return bad()
	}
	if dir == string(d) {
		r.Directory = dir
	} else {
		r.Directory = string(d)
	}
	r.ID = string(id)
	r.Data = a.clone(rest)
	return r, nil
}

// cutLen splits a uvarint-length-prefixed field off b.
func cutLen(b []byte) (field, rest []byte, ok bool) {
	n, w := binary.Uvarint(b)
	if w <= 0 || uint64(len(b)-w) < n {
		return nil, nil, false
	}
	return b[w : w+int(n)], b[w+int(n):], true
}

// validDirectory reports whether dir can name stored records.
func validDirectory(dir string) bool { return !strings.Contains(dir, "\x00") }
