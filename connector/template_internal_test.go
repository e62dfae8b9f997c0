package connector

import (
	"slices"
	"testing"
)

// fillTemplate scans by hand for speed; it must agree with placeholderRE,
// the grammar every other template function uses.
func FuzzFillTemplateMatchesRegexp(f *testing.F) {
	for _, s := range []string{"", "plain", "{a}", "x{a}y{b_2}z", "{", "}", "{}", "{1a}", "{a-b}", "{{a}}",
		`{"json": {a}}`, "{a}{b}", "{a", "a}", "{_}", "é{a}é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lookup := func(name string) (string, bool) {
			if name == "b" {
				return "", false
			}
			return "<" + name + ">", true
		}
		got, gotMissing := fillTemplate(s, lookup)
		var wantMissing []string
		want := placeholderRE.ReplaceAllStringFunc(s, func(m string) string {
			v, ok := lookup(m[1 : len(m)-1])
			if !ok {
				wantMissing = append(wantMissing, m[1:len(m)-1])
			}
			return v
		})
		if got != want || !slices.Equal(gotMissing, wantMissing) {
			t.Fatalf("fillTemplate(%q) = %q, %q; the regexp gives %q, %q", s, got, gotMissing, want, wantMissing)
		}
	})
}
