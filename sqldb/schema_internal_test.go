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
