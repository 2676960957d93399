package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// jsonOptions match the REST API's JSON: proto field names, unset fields left out.
var jsonOptions = protojson.MarshalOptions{UseProtoNames: true}

// json reports whether the command should print JSON rather than a table.
func (e *env) json() bool { return e.opts.output == "json" }

// printJSON writes m as one indented JSON document.
func (e *env) printJSON(m proto.Message) error {
	b, err := jsonOptions.Marshal(m)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return err
	}
	out.WriteByte('\n')
	_, err = e.stdout.Write(out.Bytes())
	return err
}

// writeJSONLine writes {"key": m} on one line, as watch does for each message.
func writeJSONLine(w io.Writer, key string, m proto.Message) error {
	b, err := jsonOptions.Marshal(m)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "{%q:", key)
	if err := json.Compact(&out, b); err != nil {
		return err
	}
	out.WriteString("}\n")
	_, err = w.Write(out.Bytes())
	return err
}

// table writes aligned columns for people. Empty cells print as "-".
type table struct{ tw *tabwriter.Writer }

// table starts a table on stdout with a header row, or none when header is empty (a list of
// "key value" rows describing one object).
func (e *env) table(header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)}
	if len(header) > 0 {
		t.row(header...)
	}
	return t
}

func (t *table) row(cells ...string) {
	for i, c := range cells {
		if c == "" {
			cells[i] = "-"
		}
	}
	fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
}

func (t *table) flush() error { return t.tw.Flush() }

// enumText is an enum value's name without its type prefix: "SYNC_STATE_IDLE" → "IDLE";
// "" for the unspecified value.
func enumText(name, prefix string) string {
	s := strings.TrimPrefix(name, prefix)
	if s == "UNSPECIFIED" {
		return ""
	}
	return s
}

// timeText is ts in UTC, RFC 3339, or "" when unset.
func timeText(ts *timestamppb.Timestamp) string {
	if ts == nil {
		return ""
	}
	return ts.AsTime().UTC().Format(time.RFC3339)
}

// durationText is d rounded to milliseconds, or "" when unset.
func durationText(d *durationpb.Duration) string {
	if d == nil {
		return ""
	}
	return d.AsDuration().Round(time.Millisecond).String()
}

func uintText(v uint64) string { return strconv.FormatUint(v, 10) }

func intText(v int64) string { return strconv.FormatInt(v, 10) }

func boolText(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// listText joins ids with commas.
func listText(ids []string) string { return strings.Join(ids, ",") }

// compactJSON is b without insignificant space (protojson varies it on purpose).
func compactJSON(b []byte) string {
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		return string(b)
	}
	return out.String()
}
