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
	// Every request fills several templates (base URL, path, auth
	// headers), so this scans by hand rather than through placeholderRE,
	// with the same grammar, and returns s itself when it has none.
	var (
		b       strings.Builder
		missing []string
		copied  int // s[:copied] is already in b
	)
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
		name := s[i+1 : j]
		v, ok := lookup(name)
		if !ok {
			missing = append(missing, name)
		}
		b.WriteString(s[copied:i])
		b.WriteString(v)
		copied = j + 1
		i = j
	}
	if copied == 0 {
		return s, missing
	}
	b.WriteString(s[copied:])
	return b.String(), missing
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
