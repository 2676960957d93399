package okta

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// cursor is what one Sync hands the next: watermarks, not data. Users and Groups are the
// Okta server times at which the last run started listing each (read from the first
// response's Date header, so the local clock does not matter); the next run asks for
// objects updated after them, less the overlap. Gen names the membership index the run
// left in memory.
type cursor struct {
	Version  int       `json:"v"`
	Gen      string    `json:"gen"`
	FullSync time.Time `json:"full_sync"`
	Users    time.Time `json:"users"`
	Groups   time.Time `json:"groups"`
}

const cursorVersion = 1

func (c cursor) encode() []byte {
	c.Version = cursorVersion
	b, _ := json.Marshal(c) // a struct of strings and times always marshals
	return b
}

func decodeCursor(b []byte) (cursor, error) {
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil {
		return cursor{}, fmt.Errorf("cursor: %w", err)
	}
	if c.Version != cursorVersion || c.Gen == "" || c.Users.IsZero() || c.Groups.IsZero() {
		return cursor{}, errors.New("cursor: not written by this version of the okta provider")
	}
	return c, nil
}

// newGen returns a fresh membership index name.
func newGen() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// timestamp formats t as Okta's filter expressions take it: 2006-01-02T15:04:05.000Z.
func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
