package blob

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	dirsyncv1 "github.com/dirsync/dirsync/gen/dirsync/v1"
)

// benchDocument returns a dirsync JSON document of n users (~200 bytes each, three of
// 100 groups) and the groups.
func benchDocument(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"users": [`)
	for i := range n {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `{"id": "00u%09d", "display_name": "User Number %d", "email": "user%d@example.com", `+
			`"username": "user%d", "given_name": "User", "family_name": "Number %d", "state": "USER_STATE_ACTIVE", `+
			`"group_ids": ["00g%03d", "00g%03d", "00g%03d"]}`, i, i, i, i, i, i%100, (i+1)%100, (i+7)%100)
	}
	b.WriteString("],\n\"groups\": [")
	for i := range 100 {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `{"id": "00g%03d", "name": "Group %d"}`, i, i)
	}
	b.WriteString("]}\n")
	return b.Bytes()
}

// decodeBaseline is the plain approach: encoding/json tokens, each entry handed to
// protojson as raw bytes.
func decodeBaseline(r io.Reader) (users []*dirsyncv1.User, groups []*dirsyncv1.Group, err error) {
	dec := json.NewDecoder(r)
	if _, err := dec.Token(); err != nil {
		return nil, nil, err
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		if _, err := dec.Token(); err != nil {
			return nil, nil, err
		}
		for dec.More() {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return nil, nil, err
			}
			if key == "users" {
				u := &dirsyncv1.User{}
				if err := protojson.Unmarshal(raw, u); err != nil {
					return nil, nil, err
				}
				users = append(users, u)
			} else {
				g := &dirsyncv1.Group{}
				if err := protojson.Unmarshal(raw, g); err != nil {
					return nil, nil, err
				}
				groups = append(groups, g)
			}
		}
		if _, err := dec.Token(); err != nil {
			return nil, nil, err
		}
	}
	return users, groups, nil
}

// BenchmarkDecodeDocument decodes 100,000 users with decodeDocument and with the
// baseline, and reports how many times faster decodeDocument is.
func BenchmarkDecodeDocument(b *testing.B) {
	const n = 100_000
	doc := benchDocument(n)
	b.SetBytes(int64(len(doc)))
	var ours, base time.Duration
	for b.Loop() {
		start := time.Now()
		users, _, err := decodeDocument(context.Background(), "d.json", bytes.NewReader(doc))
		ours += time.Since(start)
		if err != nil || len(users) != n {
			b.Fatal(err, len(users))
		}
		b.StopTimer()
		start = time.Now()
		users, _, err = decodeBaseline(bytes.NewReader(doc))
		base += time.Since(start)
		if err != nil || len(users) != n {
			b.Fatal(err, len(users))
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(n)*float64(b.N)/ours.Seconds(), "users/s")
	b.ReportMetric(float64(n)*float64(b.N)/base.Seconds(), "baseline-users/s")
	b.ReportMetric(base.Seconds()/ours.Seconds(), "x-baseline")
}

// TestBenchDocumentMatchesBaseline keeps the benchmark honest: both decoders agree.
func TestBenchDocumentMatchesBaseline(t *testing.T) {
	doc := benchDocument(500)
	users, groups, err := decodeDocument(context.Background(), "d.json", bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	wantUsers, wantGroups, err := decodeBaseline(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	requireRecords(t, wantUsers, wantGroups, users, groups)
}
