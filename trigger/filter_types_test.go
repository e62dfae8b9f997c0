package trigger_test

import (
	"slices"
	"strings"
	"testing"

	"junction"
	"junction/connector"
	"junction/trigger"
)

// issueFields are declared fields of every type a connector may declare.
var issueFields = []connector.ObjectField{
	{Name: "number", Type: "integer"},
	{Name: "amount", Type: "number"},
	{Name: "name", Type: "string"},
	{Name: "closed", Type: "boolean"},
	{Name: "labels", Type: "array"},
	{Name: "user", Type: "object"},
	{Name: "due-date", Type: "string"},
}

func TestFilterTypeMismatches(t *testing.T) {
	// Each case names the mismatches expected as field:literal.
	for _, tc := range []struct {
		src  string
		want []string
	}{
		{``, nil},
		{`record.number == 1 && record.name == "a" && record.closed == true && record.amount > 1.5`, nil},

		// Equality across types.
		{`record.number == "1"`, []string{`number:"1"`}},
		{`record.number != "1"`, []string{`number:"1"`}},
		{`record.amount == "1.5"`, []string{`amount:"1.5"`}},
		{`record.closed == "true"`, []string{`closed:"true"`}},
		{`record.closed == 1`, []string{`closed:1`}},
		{`record.name == 3`, []string{`name:3`}},
		{`record.name == true`, []string{`name:true`}},
		{`record.name == b"x"`, []string{`name:b"x"`}},
		{`record["number"] == "1"`, []string{`number:"1"`}},
		{`record["due-date"] == 20240101`, []string{`due-date:20240101`}},

		// Reversed operands.
		{`"1" == record.number`, []string{`number:"1"`}},
		{`3 < record.name`, []string{`name:3`}},

		// Numbers compare across int, uint and double.
		{`record.number == 1.0 || record.number < 2u || record.amount >= 3`, nil},

		// Orderings.
		{`record.name > 3`, []string{`name:3`}},
		{`record.number <= "10"`, []string{`number:"10"`}},
		{`record.closed < 1`, []string{`closed:1`}},
		{`record.name < "b" && record.closed > false`, nil},

		// Arithmetic: none across types, nor across int and double.
		{`record.number + 1 > 2`, nil},
		{`record.number + 1.5 > 2.0`, []string{`number:1.5`}},
		{`record.number * 2u > 2u`, []string{`number:2u`}},
		{`record.amount * 2 > 3 || record.amount / 2.0 > 1.0`, nil},
		{`record.amount + "1" == "11"`, []string{`amount:"1"`}},
		{`record.name + "x" == "ax"`, nil},
		{`record.name + 1 > 0`, []string{`name:1`}},
		{`record.name - 1 > 0`, []string{`name:1`}},
		{`record.closed + true`, nil}, // not a bool: refused by the compiler, see ErrInvalid

		// Nested in other operators.
		{`!(record.closed == "false")`, []string{`closed:"false"`}},
		{`event == "created" && (record.state == "open" || (record.number == "7" && record.name != 7))`,
			[]string{`number:"7"`, `name:7`}},
		{`record.number == "1" ? true : record.closed == "true"`, []string{`number:"1"`, `closed:"true"`}},
		{`record.labels.exists(l, l == "bug" && record.number == "2")`, []string{`number:"2"`}},
		{`[1, 2].exists(n, n == record.number) && size(record.name) > 3`, nil},

		// in: list elements and map keys, and a scalar as the container.
		{`record.number in [1, "2", 3]`, []string{`number:"2"`}},
		{`record.name in ["a", "b"]`, nil},
		{`record.closed in {"true": 1}`, []string{`closed:"true"`}},
		{`"bug" in record.labels`, nil},
		{`"a" in record.name`, []string{`name:"a"`}},

		// has() reads nothing; the comparison next to it still counts.
		{`has(record.number) && record.number == "1"`, []string{`number:"1"`}},
		{`has(record.number)`, nil},

		// Undeclared fields, nested fields, conversions, null, other
		// variables and fields declared object or array: no warning.
		{`record.priority == 1 && record.user.id == "1"`, nil},
		{`string(record.number) == "1" && int(record.name) == 1`, nil},
		{`record.number == null && record.name != null && record.closed == null`, nil},
		{`payload.number == "1" && object_id == "1" && change == "created"`, nil},
		{`record.labels == "bug" || record.user == 1 || record.labels == [1] || record.user > 3`, nil},
		{`dyn(record.number) == "1"`, nil},
		{`record.number == record.name`, nil},

		// The same mismatch twice is told once; two different ones twice.
		{`record.number == "1" || record.number == "1"`, []string{`number:"1"`}},
		{`record.number == "1" || record.number == "2"`, []string{`number:"1"`, `number:"2"`}},
	} {
		got, err := trigger.FilterTypeMismatches(tc.src, issueFields)
		if tc.src == `record.closed + true` {
			if !junction.IsCode(err, junction.EINVALID) {
				t.Errorf("%q: %v, want %s", tc.src, err, junction.EINVALID)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", tc.src, err)
		}
		var names []string
		for _, m := range got {
			names = append(names, m.Field+":"+m.Literal)
			if m.Message == "" || m.Declared == "" || m.LiteralType == "" {
				t.Errorf("%q: incomplete %+v", tc.src, m)
			}
		}
		if strings.Join(names, " ") != strings.Join(tc.want, " ") {
			t.Errorf("%q: mismatches %q, want %q", tc.src, names, tc.want)
		}
	}
}

// A mismatch says what the filter does there and, where the literal reads
// as the declared type, how to write it.
func TestFilterTypeMismatchMessages(t *testing.T) {
	for src, want := range map[string]struct {
		declared, literalType string
		says                  []string
	}{
		`record.number == "1"`:                           {"integer", "string", []string{`record.number == "1" is always false`, "Write 1."}},
		`record.number != " 1 "`:                         {"integer", "string", []string{"always true", "Write 1."}},
		`"true" == record.closed`:                        {"boolean", "string", []string{`"true" == record.closed is always false`, "Write true."}},
		`record.name > 3`:                                {"string", "int", []string{"fails on every record", "does not match", `Write "3".`}},
		`record.number + 1.5 > 2.0`:                      {"integer", "double", []string{"no addition", "Write double(record.number)"}},
		`record.number in [1, "x"]`:                      {"integer", "string", []string{"never matches"}},
		`record["due-date"] == 1`:                        {"string", "int", []string{`record["due-date"] == 1 is always false`}},
		`record.amount == 2.0 || record.amount == "abc"`: {"number", "string", []string{"always false"}},
	} {
		got, err := trigger.FilterTypeMismatches(src, issueFields)
		if err != nil || len(got) != 1 {
			t.Fatalf("%q: %+v %v, want one", src, got, err)
		}
		m := got[0]
		if m.Declared != want.declared || m.LiteralType != want.literalType {
			t.Errorf("%q: %+v", src, m)
		}
		for _, s := range want.says {
			if !strings.Contains(m.Message, s) {
				t.Errorf("%q: message %q lacks %q", src, m.Message, s)
			}
		}
		if strings.Contains(m.Message, "Write abc") {
			t.Errorf("%q: suggests what does not read as the type: %q", src, m.Message)
		}
	}
}

func TestFilterTypeMismatchesErrInvalid(t *testing.T) {
	for _, src := range []string{`record.number == `, `"text"`} {
		_, err := trigger.FilterTypeMismatches(src, issueFields)
		if !junction.IsCode(err, junction.EINVALID) || junction.ErrorCode(trigger.CompileFilter(src)) != junction.EINVALID {
			t.Errorf("%q: %v, want %s as CompileFilter", src, err, junction.EINVALID)
		}
	}
	if got, err := trigger.FilterTypeMismatches(`record.number == "1"`, nil); err != nil || got != nil {
		t.Errorf("nothing declared: %+v %v", got, err)
	}
}

// FuzzFilterTypeMismatches: for any source, FilterTypeMismatches fails
// exactly when CompileFilter does, and tells only of declared fields.
func FuzzFilterTypeMismatches(f *testing.F) {
	for _, s := range []string{``, `record.number == "1"`, `"a" in record.name`, `record.number in [1, "2"]`,
		`record["due-date"] > 3 || record.closed == "true"`, `record.amount * 2.5 > 1.0`, `record.name ==`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		got, err := trigger.FilterTypeMismatches(src, issueFields)
		if cerr := trigger.CompileFilter(src); (err == nil) != (cerr == nil) {
			t.Fatalf("%q: FilterTypeMismatches %v, CompileFilter %v", src, err, cerr)
		}
		for _, m := range got {
			if !slices.ContainsFunc(issueFields, func(f connector.ObjectField) bool { return f.Name == m.Field && f.Type == m.Declared }) {
				t.Fatalf("%q: %+v is not of a declared field", src, m)
			}
		}
	})
}
