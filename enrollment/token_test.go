package enrollment

import (
	"crypto/hmac"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/mr-tron/base58"
	"github.com/stretchr/testify/require"
)

var (
	vectorID     = ID{0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0x4d, 0xef, 0x81, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef}
	vectorExpiry = time.UnixMilli(1767225600123) // 2026-01-01T00:00:00.123Z
	vectorSecret = []byte("test-secret")
)

// TestVector builds the expected token by hand from the format, not with Sign.
func TestVector(t *testing.T) {
	payload := append(append([]byte{}, vectorID[:]...),
		0x00, 0x00, 0x01, 0x9b, 0x76, 0xda, 0xa8, 0x7b) // 1767225600123 big-endian
	h := hmac.New(sha256.New, vectorSecret)
	h.Write(payload)
	want := base58.Encode(h.Sum(payload))
	// The same vector computed outside Go (Python hmac + a hand-written base58).
	require.Equal(t, "VbTTZDLkfZd27ePjWSE87He1JTKnAFtFjCTgcQnbY3Zbdkk4iBfYFKTStaNFhEFi8qvT5zJKXaLT", want)

	got := Sign(vectorID, vectorExpiry, vectorSecret)
	require.Equal(t, want, got)
	id, exp, err := Verify(got, [][]byte{vectorSecret})
	require.NoError(t, err)
	require.Equal(t, vectorID, id)
	require.True(t, exp.Equal(vectorExpiry))
	require.Equal(t, "12345678-9abc-4def-8123-456789abcdef", id.String())
}

func TestTamperingAnyByte(t *testing.T) {
	tok := Sign(vectorID, vectorExpiry, vectorSecret)
	raw, err := base58.Decode(tok)
	require.NoError(t, err)
	require.Len(t, raw, TokenLen)
	for i := range raw {
		for _, flip := range []byte{0x01, 0x80, 0xff} {
			b := append([]byte{}, raw...)
			b[i] ^= flip
			_, _, err := Verify(base58.Encode(b), [][]byte{vectorSecret})
			require.ErrorIs(t, err, ErrSignature, "byte %d ^ %#x", i, flip)
		}
	}
}

func TestMalformed(t *testing.T) {
	tok := Sign(vectorID, vectorExpiry, vectorSecret)
	raw, _ := base58.Decode(tok)
	for _, bad := range []string{"", "0OIl", tok + "1", base58.Encode(raw[:TokenLen-1]), base58.Encode(append(raw, 0))} {
		_, _, err := Verify(bad, [][]byte{vectorSecret})
		require.ErrorIs(t, err, ErrMalformed, "%q", bad)
	}
	_, _, err := Verify(tok, nil)
	require.ErrorIs(t, err, ErrNoSecret)
}

func TestRotation(t *testing.T) {
	old, cur := []byte("old"), []byte("current")
	tok := Sign(vectorID, vectorExpiry, old)
	_, _, err := Verify(tok, [][]byte{cur, old})
	require.NoError(t, err, "a previous secret still verifies")
	_, _, err = Verify(tok, [][]byte{cur})
	require.ErrorIs(t, err, ErrSignature, "a removed secret no longer verifies")
}

func TestNewID(t *testing.T) {
	a, b := NewID(), NewID()
	require.NotEqual(t, a, b)
	require.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, a.String())
}
