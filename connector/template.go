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
	placeholders(s, func(_, _ int, name string) { out = append(out, name) })
	return out
}

// loneVar returns the name when s is exactly one placeholder.
func loneVar(s string) (string, bool) {
	var lone string
	placeholders(s, func(i, j int, name string) {
		if i == 0 && j == len(s) {
			lone = name
		}
	})
	return lone, lone != ""
}

// fillTemplate replaces each placeholder with lookup's value. It reports the
// names lookup did not know; their placeholders become empty.
func fillTemplate(s string, lookup func(string) (string, bool)) (string, []string) {
	var (
		b       strings.Builder
		missing []string
		copied  int // s[:copied] is already in b
	)
	placeholders(s, func(i, j int, name string) {
		v, ok := lookup(name)
		if !ok {
			missing = append(missing, name)
		}
		b.WriteString(s[copied:i])
		b.WriteString(v)
		copied = j
	})
	if copied == 0 {
		return s, missing
	}
	b.WriteString(s[copied:])
	return b.String(), missing
}

// placeholders calls fn with the span s[i:j] and the name of each
// placeholder in s, left to right, as placeholderRE would find them. Every
// request fills several templates (base URL, path, auth headers), so this
// scans by hand rather than running the regexp.
func placeholders(s string, fn func(i, j int, name string)) {
	for i := 0; i < len(s); i++ {
		if s[i] != '{' {
			continue
		}
		j := i + 1
		for j < len(s) && isIdentByte(s[j], j == i+1) {
			j++
		}
		if j == i+1 || j >= len(s) || s[j] != '}' {
			continue
		}
		fn(i, j+1, s[i+1:j])
		i = j
	}
}

// isIdentByte reports whether c may appear in a placeholder's name at that
// position: [A-Za-z_] first, [A-Za-z0-9_] after.
func isIdentByte(c byte, first bool) bool {
	switch {
	case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		return true
	case '0' <= c && c <= '9':
		return !first
	}
	return false
}

// splitScopes splits a filled scope template on spaces and commas.
func splitScopes(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' || r == '\n' })
}
