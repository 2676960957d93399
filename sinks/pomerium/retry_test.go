package pomerium

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/dirsync/dirsync/sinks/pomerium/pomeriumtest"
	"github.com/dirsync/dirsync/store/memory"
)

// TestPutRetries: a Put that fails transiently is retried within its bounded attempts; once
// they are spent the attempt fails (counted in push_errors) and a new one starts from the
// checkpoint. Either way every record arrives.
func TestPutRetries(t *testing.T) {
	for _, tc := range []struct {
		name       string
		failures   int
		pushErrors int64
	}{
		{"retried within the attempts", 2, 0},
		{"attempts spent: the sink starts over", 3, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := memory.New()
			t.Cleanup(func() { _ = st.Close() })
			key := newKey(t)
			f := pomeriumtest.Start(t, key)
			apply(t, st, dir, user(dir, "u1", "Ann"))
			reader := sdkmetric.NewManualReader()
			r := runSink(t, st, f, key, []string{dir}, func(c *Config) {
				c.PutAttempts = 3
				c.MeterProvider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
			})
			caughtUp(t, r, st)
			f.FailPuts(tc.failures)
			apply(t, st, dir, user(dir, "u2", "Bob"))
			s := caughtUp(t, r, st)
			require.NotNil(t, f.Get(TypeUser, "u2"))
			require.Empty(t, s.LastError)
			require.Equal(t, tc.pushErrors, counter(t, reader, "dirsync.sink.push_errors"))
		})
	}
}

// counter returns the value of an int64 counter, 0 when it has none.
func counter(t *testing.T, reader sdkmetric.Reader, name string) int64 {
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if d, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name == name && len(d.DataPoints) > 0 {
				return d.DataPoints[0].Value
			}
		}
	}
	return 0
}
