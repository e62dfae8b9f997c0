package engine

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"junction"
	"junction/connector"
	"junction/outbound"
)

// debugRecord is a new debug record when conn's debug logging is on at
// now, else nil.
func debugRecord(conn *junction.Connection, now time.Time) *junction.ExecutionDebug {
	if !conn.DebugOn(now) {
		return nil
	}
	return &junction.ExecutionDebug{Attempts: []junction.DebugAttempt{}}
}

// credentialHeaders carry a credential whatever the connector says.
var credentialHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "X-Api-Key"}

// carriesCredential tells whether a header (or query parameter) named name
// may carry a credential; sensitive are the canonical names the
// connection's auth type puts one in.
func carriesCredential(name string, sensitive []string) bool {
	canonical := http.CanonicalHeaderKey(name)
	return slices.Contains(credentialHeaders, canonical) || slices.Contains(sensitive, canonical) ||
		connector.NamesCredential(name)
}

// debugMasker replaces secret values, in every form a request carries them
// (plain, URL-encoded, base64, hex, JSON-escaped), by [redacted].
type debugMasker struct{ forms []string }

// minMaskedLen keeps very short values from being masked everywhere they
// occur by chance, as providerError does.
const minMaskedLen = 4

func (m *debugMasker) add(v string) {
	if len(v) < minMaskedLen {
		return
	}
	forms := []string{v, url.QueryEscape(v), url.PathEscape(v),
		base64.StdEncoding.EncodeToString([]byte(v)), base64.URLEncoding.EncodeToString([]byte(v)),
		base64.RawStdEncoding.EncodeToString([]byte(v)), base64.RawURLEncoding.EncodeToString([]byte(v)),
		hex.EncodeToString([]byte(v))}
	// JSON-escaped, and escaped twice: an API that echoes a JSON body
	// inside its own JSON answer escapes it again.
	escaped := v
	for range 2 {
		b, err := json.Marshal(escaped)
		if err != nil {
			break
		}
		escaped = string(b[1 : len(b)-1])
		forms = append(forms, escaped)
	}
	for _, f := range forms {
		if len(f) >= minMaskedLen && !slices.Contains(m.forms, f) {
			m.forms = append(m.forms, f)
		}
	}
	// The longest first, so that a form containing another is masked
	// whole rather than leaving its remains.
	slices.SortStableFunc(m.forms, func(a, b string) int { return len(b) - len(a) })
}

func (m *debugMasker) mask(s string) string {
	for _, f := range m.forms {
		if strings.Contains(s, f) {
			s = strings.ReplaceAll(s, f, junction.Redacted)
		}
	}
	return s
}

// masker holds every secret value of the run, and the values of the
// credential headers of req: a basic-auth header or a signature is
// derived from secrets without containing them, and an API that echoes
// the request would otherwise repeat it in its body.
func (x *run) masker(req *http.Request, sensitive []string) *debugMasker {
	m := &debugMasker{}
	for _, s := range x.secrets {
		m.add(s.Reveal())
	}
	for name, vs := range req.Header {
		if !carriesCredential(name, sensitive) {
			continue
		}
		for _, v := range vs {
			m.add(v)
			// "Basic xxx", "Bearer xxx": the credential alone, too.
			if _, cred, ok := strings.Cut(v, " "); ok {
				m.add(strings.TrimSpace(cred))
			}
		}
	}
	if req.URL != nil && req.URL.User != nil {
		if p, ok := req.URL.User.Password(); ok {
			m.add(p)
		}
	}
	return m
}

// recordDebug keeps one attempt when the run keeps a debug record: req as
// it was sent (hr, after outbound signed it), and r or err.
func (x *run) recordDebug(req *connector.Request, hr *http.Request, r *outbound.Response, err error) {
	if x.debug == nil {
		return
	}
	sensitive := req.SensitiveHeaders()
	m := x.masker(hr, sensitive)
	a := junction.DebugAttempt{Request: junction.DebugRequest{
		Method:  hr.Method,
		URL:     debugURL(hr.URL, m, sensitive, req.SensitiveQuery()),
		Headers: debugHeaders(hr.Header, m, sensitive),
	}}
	if ct := hr.Header.Get("Content-Type"); req.CarriesFiles() {
		a.Request.Body = connector.BodySummary(ct, len(req.Body))
	} else {
		a.Request.Body, a.Request.BodyTruncated = debugBody(req.Body, ct, m)
	}
	if err != nil {
		a.Error = m.mask(junction.ErrorMessage(err))
	}
	if r != nil {
		resp := &junction.DebugResponse{Status: r.StatusCode, Headers: debugHeaders(r.Header, m, sensitive)}
		resp.Body, resp.BodyTruncated = debugBody(r.Body, r.Header.Get("Content-Type"), m)
		a.Response = resp
	}
	x.debug.Attempts = append(x.debug.Attempts, a)
}

func debugHeaders(h http.Header, m *debugMasker, sensitive []string) map[string][]string {
	if len(h) == 0 {
		return nil
	}
	out := make(map[string][]string, len(h))
	for name, vs := range h {
		masked := make([]string, len(vs))
		for i, v := range vs {
			if carriesCredential(name, sensitive) {
				masked[i] = junction.Redacted
			} else {
				masked[i] = validText(m.mask(v))
			}
		}
		out[name] = masked
	}
	return out
}

// debugURL is u without its user information, with the values of
// credential-named query parameters, of those the auth type puts a
// credential in (sensitiveQuery), and every secret value masked.
func debugURL(u *url.URL, m *debugMasker, sensitive, sensitiveQuery []string) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User = nil
	if c.RawQuery != "" {
		q := c.Query()
		changed := false
		for k := range q {
			if carriesCredential(k, sensitive) || slices.Contains(sensitiveQuery, k) {
				q[k] = []string{junction.Redacted}
				changed = true
			}
		}
		if changed {
			// Shown as [redacted], not %5Bredacted%5D, so a reader sees it.
			c.RawQuery = strings.ReplaceAll(q.Encode(), url.QueryEscape(junction.Redacted), junction.Redacted)
		}
	}
	return validText(m.mask(c.String()))
}

// debugBody is b masked, then cut at DebugBodyLimit on a character
// boundary: masking first, so a cut never leaves part of a secret behind.
// A body that is not text (a file, a multipart upload) is kept as its size
// and type only: files are the caller's documents, not debugging aids.
func debugBody(b []byte, contentType string, m *debugMasker) (string, bool) {
	if len(b) == 0 {
		return "", false
	}
	if !connector.ShowableBody(contentType) {
		return connector.BodySummary(contentType, len(b)), false
	}
	s := m.mask(string(b))
	cut := false
	if len(s) > junction.DebugBodyLimit {
		s = s[:junction.DebugBodyLimit]
		// Drop a character the cut split.
		for i := 0; i < utf8.UTFMax-1 && len(s) > 0; i++ {
			if r, size := utf8.DecodeLastRuneInString(s); r != utf8.RuneError || size != 1 {
				break
			}
			s = s[:len(s)-1]
		}
		cut = true
	}
	return validText(s), cut
}

func validText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
