package trigger_test

import (
	"errors"
	"slices"
	"testing"

	"junction"
	"junction/trigger"
)

// FuzzFilterRecordFields: for any source, FilterRecordFields fails exactly
// when CompileFilter does, with a validation error on the filter, and
// otherwise lists each field once, sorted; it never panics.
func FuzzFilterRecordFields(f *testing.F) {
	for _, s := range []string{``, `record.state == "open"`, `record["a b"] == 1 && record.a.b == 2`,
		`has(record.x) && record.x > 1`, `record.state ==`, `[record.a, record["a"]].size() == 2`,
		`record.labels.exists(l, l == record.kind)`, `payload.record.state == "x"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		fields, err := trigger.FilterRecordFields(src)
		cerr := trigger.CompileFilter(src)
		if (err == nil) != (cerr == nil) {
			t.Fatalf("%q: FilterRecordFields %v, CompileFilter %v", src, err, cerr)
		}
		if err != nil {
			var e *junction.Error
			if !errors.As(err, &e) || e.Code != junction.EINVALID || e.Field != "filter" {
				t.Fatalf("%q: %v", src, err)
			}
			return
		}
		if !slices.IsSorted(fields) || len(slices.Compact(slices.Clone(fields))) != len(fields) {
			t.Fatalf("%q: fields %q not sorted or repeated", src, fields)
		}
	})
}
