package connector

import (
	"regexp"
	"strings"
)

// A template is a string with {name} placeholders. Braces around anything
// that is not an identifier stay literal, so JSON-looking text is safe.
var placeholderRE = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// templateVars returns the names a template refers to, in order, repeats
// included.
func templateVars(s string) []string {
	var out []string
	for _, m := range placeholderRE.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

// loneVar returns the name when s is exactly one placeholder.
func loneVar(s string) (string, bool) {
	m := placeholderRE.FindStringSubmatch(s)
	if m == nil || m[0] != s {
		return "", false
	}
	return m[1], true
}

// fillTemplate replaces each placeholder with lookup's value. It reports the
// names lookup did not know; their placeholders become empty.
func fillTemplate(s string, lookup func(string) (string, bool)) (string, []string) {
	var missing []string
	out := placeholderRE.ReplaceAllStringFunc(s, func(m string) string {
		name := m[1 : len(m)-1]
		v, ok := lookup(name)
		if !ok {
			missing = append(missing, name)
			return ""
		}
		return v
	})
	return out, missing
}

// splitScopes splits a filled scope template on spaces and commas.
func splitScopes(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' || r == '\n' })
}
