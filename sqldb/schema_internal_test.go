package sqldb

import "testing"

func TestFirstSchema(t *testing.T) {
	for path, want := range map[string]string{
		`"$user", public`:       "public",
		`junction`:              "junction",
		`Junction, public`:      "junction",
		`"Mixed Case", public`:  "Mixed Case",
		`"with ""quote"""`:      `with "quote"`,
		`"$user"`:               "",
		``:                      "",
		` , "$user",  ops_data`: "ops_data",
	} {
		if got := firstSchema(path); got != want {
			t.Errorf("firstSchema(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestOwnTable(t *testing.T) {
	for _, tc := range []struct {
		payload, schema, table string
		ok                     bool
	}{
		{"junction.folders", "junction", "folders", true},
		{"other.folders", "junction", "folders", false},
		{"my.schema.assets", "my.schema", "assets", true},
		{"folders", "junction", "folders", true},
	} {
		table, ok := ownTable(tc.payload, tc.schema)
		if table != tc.table || ok != tc.ok {
			t.Errorf("ownTable(%q, %q) = %q, %v", tc.payload, tc.schema, table, ok)
		}
	}
}
