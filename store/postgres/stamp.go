package postgres

import (
	"time"

	"github.com/dirsync/dirsync/store"
)

// chunks hands out byte slices carved from 64 KiB chunks, none of them reused.
type chunks struct{ buf []byte }

func (c *chunks) take(n int) []byte {
	if cap(c.buf)-len(c.buf) < n {
		c.buf = make([]byte, 0, max(n, 64<<10))
	}
	start := len(c.buf)
	c.buf = c.buf[:start+n]
	return c.buf[start : start+n : start+n]
}

// changeLog is the changes of one batch, in version order, as the rows COPY appends to
// dirsync.changes (it is a pgx.CopyFromSource).
type changeLog struct {
	dir     string
	at      time.Time
	rows    []change
	upserts int
	next    int
}

type change struct {
	version int64
	t       int32
	id      []byte
	deleted bool
	data    []byte
}

func (l *changeLog) Next() bool { l.next++; return l.next <= len(l.rows) }
func (l *changeLog) Err() error { return nil }
func (l *changeLog) Values() ([]any, error) {
	c := l.rows[l.next-1]
	return []any{c.version, l.at, c.t, l.dir, c.id, c.deleted, c.data}, nil
}

// stamp assigns the versions after h's latest to b's records in batch order (a deletion of a
// key that h.prev does not hold gets none) and returns their stored forms, stamped with h's
// commit time. The upserts' data is carved from one allocation.
func stamp(b store.Batch, prepared []store.Prepared, h head) (*changeLog, error) {
	st := store.NewStamper(h.at)
	log := &changeLog{dir: b.Directory, at: h.at, rows: make([]change, 0, len(b.Records))}
	src := make([]int, 0, len(b.Records)) // the record of each row
	size := 0
	next := h.versions.Latest
	for i, r := range b.Records {
		c := change{t: int32(r.Type), id: []byte(r.Id), deleted: r.Deleted}
		if r.Deleted {
			prev, ok := h.prev[delKey{c.t, r.Id}]
			if !ok {
				continue // no live record: skipped, no version
			}
			next++
			tomb, err := store.Tombstone(prev, next, h.at)
			if err != nil {
				return nil, err
			}
			c.data = tomb.Data
		} else {
			next++
			size += st.Size(prepared[i], next)
			log.upserts++
		}
		c.version = i64(next)
		log.rows = append(log.rows, c)
		src = append(src, i)
	}
	buf := make([]byte, 0, size)
	for j := range log.rows {
		c := &log.rows[j]
		if !c.deleted {
			start := len(buf)
			buf = st.Append(buf, prepared[src[j]], u64(c.version))
			c.data = buf[start:len(buf):len(buf)]
		}
	}
	return log, nil
}
