package storehttp

import (
	"slices"
	"strings"
	"unicode"

	"junction"
)

// CheckKeys refuses the first configuration key, in sorted order so the
// answer does not change between calls, that the store type typeName does
// not define.
func CheckKeys(typeName string, defined []junction.ConfigKey, config map[string]string) error {
	keys := make([]string, 0, len(config))
	for k := range config {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.ContainsFunc(defined, func(d junction.ConfigKey) bool { return d.Name == k }) {
			return junction.Invalid(k, "is not a %s setting", typeName)
		}
	}
	return nil
}

// CheckNameText refuses an external name no vault's naming rules allow:
// longer than maxLen bytes, beginning or ending with white space, or
// holding control characters. Stores check their own syntax besides.
func CheckNameText(name string, maxLen int) error {
	switch {
	case len(name) > maxLen:
		return junction.Invalid("external_name", "must be at most %d bytes", maxLen)
	case strings.TrimSpace(name) != name:
		return junction.Invalid("external_name", "must not begin or end with white space")
	case strings.ContainsFunc(name, unicode.IsControl):
		return junction.Invalid("external_name", "must not contain control characters")
	}
	return nil
}
