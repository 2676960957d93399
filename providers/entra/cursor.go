package entra

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"time"

	"github.com/dirsync/dirsync/providers"
)

// cursorVersion changes when the cursor's encoding does; an older cursor is expired.
const cursorVersion = 1

// cursor is what one Sync hands the next: the deltaLink of each collection, the state the
// next round applies to, and the configuration it was read with. It is gzip-compressed
// JSON: about 60 bytes per user and 40 per membership before compression.
type cursor struct {
	Version           int       `json:"v"`
	GraphURL          string    `json:"graph_url"`
	ServicePrincipals bool      `json:"service_principals"`
	Links             links     `json:"links"`
	Issued            time.Time `json:"issued"` // when Links were read
	State             *state    `json:"state"`
}

// links are a round's starting points: saved deltaLinks, or the first delta URLs.
type links struct {
	Users             string `json:"users"`
	Groups            string `json:"groups"`
	ServicePrincipals string `json:"service_principals,omitempty"`
}

func (c *cursor) encode() ([]byte, error) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed) // a valid level: no error
	if err := json.NewEncoder(zw).Encode(c); err != nil {
		return nil, fmt.Errorf("encoding the cursor: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("encoding the cursor: %w", err)
	}
	return buf.Bytes(), nil
}

// decodeCursor reads a cursor; one it cannot read is expired (the next run is a full one).
func decodeCursor(b []byte) (*cursor, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("reading the cursor: %w: %w", providers.ErrCursorExpired, err)
	}
	var c cursor
	if err := json.NewDecoder(zr).Decode(&c); err != nil {
		return nil, fmt.Errorf("reading the cursor: %w: %w", providers.ErrCursorExpired, err)
	}
	if c.Version != cursorVersion || c.State == nil || c.Links.Users == "" || c.Links.Groups == "" {
		return nil, fmt.Errorf("reading the cursor: version %d or content not understood: %w", c.Version, providers.ErrCursorExpired)
	}
	if c.State.Users == nil {
		c.State.Users = map[string]*userState{}
	}
	if c.State.Groups == nil {
		c.State.Groups = map[string]*groupState{}
	}
	return &c, nil
}
