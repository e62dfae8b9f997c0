package connector

import (
	"slices"
	"testing"
)

// The template functions scan by hand for speed; they must agree with
// placeholderRE, the grammar's definition.
func FuzzTemplatesMatchRegexp(f *testing.F) {
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
		var wantVars []string
		for _, m := range placeholderRE.FindAllStringSubmatch(s, -1) {
			wantVars = append(wantVars, m[1])
		}
		if got := templateVars(s); !slices.Equal(got, wantVars) {
			t.Fatalf("templateVars(%q) = %q; the regexp gives %q", s, got, wantVars)
		}
		m := placeholderRE.FindStringSubmatch(s)
		wantLone, wantOK := "", m != nil && m[0] == s
		if wantOK {
			wantLone = m[1]
		}
		if lone, ok := loneVar(s); lone != wantLone || ok != wantOK {
			t.Fatalf("loneVar(%q) = %q, %v; the regexp gives %q, %v", s, lone, ok, wantLone, wantOK)
		}
	})
}
