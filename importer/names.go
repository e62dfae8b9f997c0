package importer

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

var (
	identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)
	keyRE   = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,63}$`)
)

// snake turns any name (operationId, tag, parameter, "GET /users/{id}")
// into a lower-case identifier: camelCase splits at the capitals, anything
// that is not a letter or digit becomes one underscore.
func snake(s string) string {
	var b strings.Builder
	rs := []rune(s)
	under := true // suppress a leading underscore
	for i, r := range rs {
		switch {
		case r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if unicode.IsUpper(r) && i > 0 && !under {
				prevLower := unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1])
				nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
				if prevLower || (unicode.IsUpper(rs[i-1]) && nextLower) {
					b.WriteByte('_')
				}
			}
			b.WriteRune(unicode.ToLower(r))
			under = false
		default:
			if !under {
				b.WriteByte('_')
				under = true
			}
		}
	}
	out := strings.TrimRight(b.String(), "_")
	if out == "" {
		return ""
	}
	if out[0] >= '0' && out[0] <= '9' {
		out = "n_" + out
	}
	if len(out) > 60 {
		out = strings.TrimRight(out[:60], "_")
	}
	return out
}

// uniqueNames hands out identifiers that are unique within one scope.
type uniqueNames map[string]bool

// take returns base, or base_2, base_3... when taken; fallback stands in
// for a base that is empty.
func (u uniqueNames) take(base, fallback string) string {
	if base == "" {
		base = fallback
	}
	name := base
	for i := 2; u[name]; i++ {
		suffix := "_" + strconv.Itoa(i)
		b := base
		if len(b)+len(suffix) > 64 {
			b = b[:64-len(suffix)]
		}
		name = b + suffix
	}
	u[name] = true
	return name
}

// humanize makes a display name of an identifier: "list_users" -> "List users".
func humanize(id string) string {
	s := strings.TrimSpace(strings.ReplaceAll(id, "_", " "))
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// clip shortens text to n bytes at a rune boundary, on one line for
// n < 300 (names and labels).
func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if n < 300 {
		s, _, _ = strings.Cut(s, "\n")
		s = strings.TrimSpace(s)
	}
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return strings.TrimSpace(s[:cut]) + "…"
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// listSome names up to five examples and counts the rest.
func listSome(items []string) string {
	if len(items) <= 5 {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:5], ", ") + " and " + strconv.Itoa(len(items)-5) + " more"
}
