package outbound

import (
	"net/netip"
	"strconv"
	"strings"

	"golang.org/x/net/idna"

	"junction"
)

// Allowed hosts are how an asset names the only hosts its value may be sent
// to. A pattern is a host name ("api.example.com"), "*." and a name for any
// host below it ("*.example.com": a.example.com and a.b.example.com, not
// example.com itself), or an IP address. Ports are not part of a pattern: a
// value allowed on a host is allowed on any of its ports, since whoever
// runs the host controls every port of it.
//
// Patterns are kept in canonical form (lower case, IDNA A-labels, no
// trailing dot, IP addresses as netip prints them), and request hosts are
// put in the same form before they are compared, so the comparison is a
// string equality or suffix test with nothing to allocate: the check runs
// before every request that carries a restricted value.

// MaxAllowedHosts bounds the patterns of one asset.
const MaxAllowedHosts = 64

// ParseAllowedHosts checks host patterns and returns them in canonical
// form, without repeats. field names the input in errors
// ("allowed_hosts"); the message says what is wrong with which entry.
func ParseAllowedHosts(field string, patterns []string) ([]string, error) {
	if len(patterns) > MaxAllowedHosts {
		return nil, junction.Invalid(field, "may list at most %d hosts", MaxAllowedHosts)
	}
	out := make([]string, 0, len(patterns))
	for i, p := range patterns {
		c, err := canonicalPattern(p)
		if err != nil {
			return nil, junction.Invalid(field+"["+strconv.Itoa(i)+"]", "%s", err.Error())
		}
		if !contains(out, c) {
			out = append(out, c)
		}
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

type patternError string

func (e patternError) Error() string { return string(e) }

func canonicalPattern(p string) (string, error) {
	p = strings.TrimSpace(p)
	switch {
	case p == "":
		return "", patternError("must not be empty")
	case strings.Contains(p, "://"):
		return "", patternError("must be a host name such as api.example.com, without a scheme")
	case strings.ContainsAny(p, "/?#"):
		return "", patternError("must be a host name such as api.example.com, without a path")
	case strings.Contains(p, "@"):
		return "", patternError("must be a host name without user information")
	}
	if a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(p, "["), "]")); err == nil && a.Zone() == "" {
		return a.Unmap().String(), nil
	}
	if strings.Contains(p, ":") {
		return "", patternError("must be a host name or IP address without a port: any port of an allowed host is allowed")
	}
	wild := strings.HasPrefix(p, "*.")
	name := p
	if wild {
		name = p[2:]
	}
	if strings.Contains(name, "*") {
		return "", patternError(`may hold a wildcard only as a leading "*." such as *.example.com`)
	}
	c, ok := canonicalName(name)
	if !ok {
		return "", patternError("is not a valid host name")
	}
	if wild {
		if !strings.Contains(c, ".") {
			return "", patternError(`must name a domain below its "*.", such as *.example.com, not a top-level domain`)
		}
		return "*." + c, nil
	}
	return c, nil
}

// canonicalName puts a host name in canonical form: one trailing dot
// dropped, IDNA A-labels, lower case. It reports false for a name that is
// not one.
func canonicalName(h string) (string, bool) {
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > 253 {
		return "", false
	}
	if !isASCII(h) {
		a, err := idna.Lookup.ToASCII(h)
		if err != nil {
			return "", false
		}
		h = a
	}
	h = strings.ToLower(h)
	for label := range strings.SplitSeq(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "", false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return "", false
			}
		}
	}
	return h, true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// CanonicalHost is the host of a request URL (url.URL.Hostname) in the
// canonical form of allowed-host patterns. It reports false for a host
// that cannot be put in that form, which no pattern allows.
func CanonicalHost(h string) (string, bool) {
	if h == "" {
		return "", false
	}
	if c := h[0]; c >= '0' && c <= '9' || strings.Contains(h, ":") {
		if a, err := netip.ParseAddr(h); err == nil {
			if a.Zone() != "" {
				return "", false
			}
			return a.Unmap().String(), true
		}
	}
	// The common case, an ASCII name already in lower case without a
	// trailing dot, is returned as it is.
	if isASCII(h) && !hasUpper(h) && h[len(h)-1] != '.' {
		return h, true
	}
	return canonicalName(h)
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

// HostAllowed reports whether host, in canonical form (CanonicalHost),
// matches one of patterns, in canonical form (ParseAllowedHosts).
func HostAllowed(patterns []string, host string) bool {
	for _, p := range patterns {
		if suffix, ok := strings.CutPrefix(p, "*"); ok {
			// suffix is ".example.com": a.example.com ends with it;
			// example.com and evilexample.com do not.
			if len(host) > len(suffix) && strings.HasSuffix(host, suffix) {
				return true
			}
			continue
		}
		if host == p {
			return true
		}
	}
	return false
}
