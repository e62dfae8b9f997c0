package trigger_test

import (
	"slices"
	"testing"

	"junction"
	"junction/trigger"
)

func TestFilterRecordFields(t *testing.T) {
	for src, want := range map[string][]string{
		"":                       nil,
		`record.state == "open"`: {"state"},
		`record["amount"] > 100 && record.state == "open" && record.state != ""`: {"amount", "state"},
		`has(record.labels) && event == "created"`:                               nil,
		`has(record.labels) && "bug" in record.labels`:                           {"labels"},
		`payload.state == "open" && object_id != ""`:                             nil,
		`record.user.login == "ada"`:                                             {"user"},
	} {
		got, err := trigger.FilterRecordFields(src)
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%q: fields %q, want %q", src, got, want)
		}
	}
	t.Run("ErrInvalid", func(t *testing.T) {
		for _, src := range []string{`record.state == `, `"text"`, `record.a +`} {
			_, err := trigger.FilterRecordFields(src)
			if !junction.IsCode(err, junction.EINVALID) || junction.ErrorCode(trigger.CompileFilter(src)) != junction.EINVALID {
				t.Errorf("%q: %v, want %s as CompileFilter", src, err, junction.EINVALID)
			}
		}
	})
}
