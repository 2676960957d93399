// Package enrollment owns the device-enrollment token: its binary layout, its signature and
// its verification against a list of secrets (current first, then previous ones). It knows
// nothing of the store, the API or the directory.
//
// A token is base58 (Bitcoin alphabet) of
//
//	16-byte enrollment UUID ‖ 8-byte big-endian expiry in Unix milliseconds ‖
//	32-byte HMAC-SHA256(secret, the first 24 bytes)
//
// the format Pomerium's authenticate service verifies, so the same secret works there.
package enrollment

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/mr-tron/base58"
)

const (
	idLen      = 16
	payloadLen = idLen + 8
	// TokenLen is the length of a decoded token.
	TokenLen = payloadLen + sha256.Size
)

var (
	// ErrMalformed: the token is not base58 or not TokenLen bytes long.
	ErrMalformed = errors.New("malformed enrollment token")
	// ErrSignature: no listed secret signed the token (tampered with, or its secret was
	// rotated out).
	ErrSignature = errors.New("bad enrollment token signature")
	// ErrNoSecret: Verify was given no secret.
	ErrNoSecret = errors.New("no enrollment secret")
)

// ID is an enrollment's UUID.
type ID [idLen]byte

// NewID returns a random (version 4) UUID from crypto/rand.
func NewID() ID {
	var id ID
	_, _ = rand.Read(id[:]) // never fails
	id[6] = id[6]&0x0f | 0x40
	id[8] = id[8]&0x3f | 0x80
	return id
}

// String returns id in the standard 8-4-4-4-12 lowercase hex form.
func (id ID) String() string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", id[0:4], id[4:6], id[6:8], id[8:10], id[10:16])
}

// Sign returns the token of enrollment id expiring at expiry (truncated to the millisecond),
// signed with secret.
func Sign(id ID, expiry time.Time, secret []byte) string {
	b := make([]byte, payloadLen, TokenLen)
	copy(b, id[:])
	binary.BigEndian.PutUint64(b[idLen:], uint64(expiry.UnixMilli()))
	return base58.Encode(mac(secret, b, b))
}

// Verify decodes token and checks its signature against each of secrets in turn (compared in
// constant time), returning the enrollment id and expiry it carries. It does not check the
// expiry. Errors: ErrMalformed, ErrSignature, ErrNoSecret.
func Verify(token string, secrets [][]byte) (ID, time.Time, error) {
	if len(secrets) == 0 {
		return ID{}, time.Time{}, ErrNoSecret
	}
	b, err := base58.Decode(token)
	if err != nil || len(b) != TokenLen {
		return ID{}, time.Time{}, ErrMalformed
	}
	payload, sig := b[:payloadLen], b[payloadLen:]
	for _, s := range secrets {
		if hmac.Equal(sig, mac(s, payload, nil)) {
			var id ID
			copy(id[:], payload)
			ms := int64(binary.BigEndian.Uint64(payload[idLen:]))
			return id, time.UnixMilli(ms), nil
		}
	}
	return ID{}, time.Time{}, ErrSignature
}

// mac appends HMAC-SHA256(secret, payload) to dst.
func mac(secret, payload, dst []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write(payload)
	return h.Sum(dst)
}
