package replica

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestWaitForVersion(t *testing.T) {
	tests := []struct {
		name    string
		initial uint64 // applied before waiting
		wait    uint64
		applied []uint64 // applied while waiting
		cancel  bool     // cancel the context after the applies
		want    error
	}{
		{name: "already reached", initial: 5, wait: 5},
		{name: "zero is always reached", wait: 0},
		{name: "wakes on apply", wait: 3, applied: []uint64{3}},
		{name: "keeps waiting past lower versions", initial: 1, wait: 4, applied: []uint64{2, 3, 9}},
		{name: "cancelled", wait: 3, applied: []uint64{2}, cancel: true, want: context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New()
			r.Apply(nil, tt.initial)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- r.WaitForVersion(ctx, tt.wait) }()
			for _, v := range tt.applied {
				select {
				case err := <-done:
					require.Failf(t, "returned early", "before version %d: %v", v, err)
				case <-time.After(10 * time.Millisecond):
				}
				r.Apply(nil, v)
			}
			if tt.cancel {
				cancel()
			}
			select {
			case err := <-done:
				if tt.want != nil {
					require.ErrorIs(t, err, tt.want)
					return
				}
				require.NoError(t, err)
				require.GreaterOrEqual(t, r.Version(), tt.wait)
			case <-time.After(5 * time.Second):
				require.Fail(t, "WaitForVersion did not return")
			}
		})
	}
}

func TestWaitForVersionDeadline(t *testing.T) {
	r := New()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, r.WaitForVersion(ctx, 1), context.DeadlineExceeded)
}

func TestWaitForVersionReachedWithEndedContext(t *testing.T) {
	r := New()
	r.Apply(nil, 2)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	require.NoError(t, r.WaitForVersion(ctx, 2))
}
