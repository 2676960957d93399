package apiclient

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

func TestRequestMetrics(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	s := &script{steps: []func(http.ResponseWriter, *http.Request){
		reply(429, map[string]string{"Retry-After": "0"}, ``), reply(200, nil, `{}`), reply(404, nil, `{}`)}}
	c := newTestClient(t, s, Config{Directory: "corp"})
	_, err := c.Get(context.Background(), "users", "users")
	require.NoError(t, err)
	_, err = c.Get(context.Background(), "group members", "groups/1/users")
	require.Error(t, err)

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	counts := map[[2]string]int64{}
	waits := int64(0)
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			sum, ok := m.Data.(metricdata.Sum[int64])
			if !ok {
				continue
			}
			for _, dp := range sum.DataPoints {
				get := func(k string) string { v, _ := dp.Attributes.Value(attribute.Key(k)); return v.AsString() }
				require.Equal(t, "corp", get("directory"))
				switch m.Name {
				case "dirsync.provider.requests":
					counts[[2]string{get("endpoint"), get("status")}] += dp.Value
				case "dirsync.provider.rate_limit.waits":
					waits += dp.Value
				}
			}
		}
	}
	require.Equal(t, map[[2]string]int64{{"users", "429"}: 1, {"users", "200"}: 1, {"group members", "404"}: 1}, counts)
	require.Equal(t, int64(1), waits)
}
