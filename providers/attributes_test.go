package providers

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAttributes(t *testing.T) {
	require.Nil(t, Attributes(map[string]any{}))
	require.Nil(t, Attributes(map[string]any{"status": ""}))
	a := Attributes(map[string]any{"status": "ACTIVE", "type": "", "admin": true, "level": 3})
	require.Equal(t, map[string]any{"status": "ACTIVE", "admin": true, "level": float64(3)}, a.AsMap())
	require.Panics(t, func() { Attributes(map[string]any{"bad": struct{}{}}) })
}
