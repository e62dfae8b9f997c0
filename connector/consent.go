package connector

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode"

	"junction"
)

// maxConsentEntries bounds how many entries an error lists; maxFilledValue
// how long a filled value may be.
const (
	maxConsentEntries = 20
	maxFilledValue    = 256
)

// NeedsConsentLookup reports whether a completed consent must ask the
// scheme's after_consent request: it has one and a field it fills is
// empty.
func (d *Definition) NeedsConsentLookup(c Credentials) bool {
	a := d.authOf(c.Auth)
	if a == nil || a.AfterConsent == nil {
		return false
	}
	for name := range a.AfterConsent.Fill {
		if c.Fields[name] == "" {
			return true
		}
	}
	return false
}

// BuildConsentLookup builds the scheme's after_consent request, carrying
// c.AccessToken as API requests carry it. Errors: validation_failed when
// the scheme has none, a field is missing or the URL is not https.
func (d *Definition) BuildConsentLookup(c Credentials) (*Request, error) {
	conn, err := d.bindForm(c)
	if err != nil {
		return nil, err
	}
	lk := conn.auth.AfterConsent
	if lk == nil {
		return nil, junction.Invalid("auth.after_consent", "auth type %s has no after_consent request", conn.auth.Key())
	}
	raw, missing := fillTemplate(lk.URL, conn.public)
	if len(missing) > 0 {
		return nil, junction.Invalid("fields."+missing[0], "is required")
	}
	u, err := url.Parse(raw)
	if err != nil || !isHTTPSURL(raw) {
		return nil, junction.Invalid("auth.after_consent.url", "must be an https URL")
	}
	r := &Request{Method: http.MethodGet, URL: u, Header: http.Header{}, RetrySafe: true, base: u}
	r.Header.Set("Accept", "application/json")
	if err := conn.applyAuth(r); err != nil {
		return nil, err
	}
	return r, nil
}

// ConsentFields reads the answer to the after_consent request and returns
// the values of the fields it fills that c leaves empty.
//
// Errors: provider_error when the answer is not a success or not the
// documented list, or the entry lacks a value to fill; validation_failed,
// its Field the one that chooses (fields.site), when no entry or several
// are left to choose from, naming them by Match.Path.
func (d *Definition) ConsentFields(c Credentials, resp Response) (map[string]string, error) {
	conn, err := d.bindForm(c)
	if err != nil {
		return nil, err
	}
	lk := conn.auth.AfterConsent
	if lk == nil {
		return nil, junction.Invalid("auth.after_consent", "auth type %s has no after_consent request", conn.auth.Key())
	}
	where := lookupWhere(lk.URL)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, &junction.Error{Code: junction.EPROVIDER,
			Message: fmt.Sprintf("%s answered HTTP %d after consent", where, resp.StatusCode),
			Details: map[string]any{"status": resp.StatusCode, "source": "provider"}}
	}
	doc, err := decodeJSON(resp.Body)
	if err != nil {
		return nil, junction.Errorf(junction.EPROVIDER, "%s answered with something other than JSON after consent", where)
	}
	list, ok := lookupPath(doc, lk.Records)
	entries, isList := list.([]any)
	if !ok || !isList {
		return nil, junction.Errorf(junction.EPROVIDER, "%s did not answer with a list after consent", where)
	}
	entry, err := conn.pickEntry(lk, entries, where)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, name := range sortedKeys(lk.Fill) {
		if c.Fields[name] != "" {
			continue // typed by the user
		}
		v, ok := lookupPath(entry, lk.Fill[name])
		s, scalar := scalarText(v)
		if !ok || !scalar || s == "" || len(s) > maxFilledValue || strings.IndexFunc(s, unicode.IsControl) >= 0 {
			return nil, junction.Errorf(junction.EPROVIDER, "%s answered without a usable %s for field %s", where, lk.Fill[name], name)
		}
		out[name] = s
	}
	return out, nil
}

// pickEntry chooses the entry whose fields fill the connection.
func (c *connection) pickEntry(lk *ConsentLookup, entries []any, where string) (any, error) {
	field := "auth"
	var want string
	chosen := false
	if m := lk.Match; m != nil {
		if vars := templateVars(m.Value); len(vars) > 0 {
			field = "fields." + vars[0]
		}
		v, missing := fillTemplate(m.Value, c.public)
		want, chosen = v, len(missing) == 0
	}
	label := func(e any) string {
		if lk.Match == nil {
			return ""
		}
		v, _ := lookupPath(e, lk.Match.Path)
		s, _ := scalarText(v)
		return s
	}
	if len(entries) == 0 {
		return nil, junction.Invalid(field, "%s lists nothing the authorization reaches; grant access to one at consent and authorize again", where)
	}
	if chosen {
		for _, e := range entries {
			if sameEntry(label(e), want) {
				return e, nil
			}
		}
		return nil, junction.Invalid(field, "the authorization does not reach %s, only %s; set %s to one of those, or grant access to it at consent, and authorize again",
			want, reachable(entries, label), strings.TrimPrefix(field, "fields."))
	}
	if len(entries) == 1 {
		return entries[0], nil
	}
	if field == "auth" {
		return nil, junction.Invalid(field, "%s lists %d entries the authorization reaches and the connector cannot choose between them", where, len(entries))
	}
	return nil, junction.Invalid(field, "the authorization reaches several: %s; set %s to the one to use and authorize again",
		reachable(entries, label), strings.TrimPrefix(field, "fields."))
}

// reachable lists the entries by their labels for an error message.
func reachable(entries []any, label func(any) string) string {
	var names []string
	for _, e := range entries {
		if s := label(e); s != "" && len(names) < maxConsentEntries {
			s = strings.Map(func(r rune) rune {
				if unicode.IsControl(r) {
					return -1
				}
				return r
			}, s)
			if len(s) > maxFilledValue {
				s = s[:maxFilledValue] + "…"
			}
			if !slices.Contains(names, s) {
				names = append(names, s)
			}
		}
	}
	if len(names) == 0 {
		return fmt.Sprintf("%d unnamed entries", len(entries))
	}
	more := ""
	if n := len(entries) - len(names); n > 0 && len(names) == maxConsentEntries {
		more = fmt.Sprintf(" and %d more", n)
	}
	return strings.Join(names, ", ") + more
}

// sameEntry compares two URLs or names as people write them: without case
// and trailing slash.
func sameEntry(got, want string) bool {
	norm := func(s string) string { return strings.TrimRight(strings.TrimSpace(s), "/") }
	return got != "" && strings.EqualFold(norm(got), norm(want))
}

// lookupWhere names the lookup's endpoint in messages: host and path of
// the template, which holds no secret (the validator sees to it).
func lookupWhere(tmpl string) string {
	s := strings.TrimPrefix(tmpl, "https://")
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	return s
}

// filledAtConsent reports whether err is a missing field of the base URL
// that the scheme's consent lookup fills.
func (c *connection) filledAtConsent(err error) bool {
	var je *junction.Error
	if !errors.As(err, &je) || c.auth.AfterConsent == nil {
		return false
	}
	name, ok := strings.CutPrefix(je.Field, "fields.")
	if !ok {
		return false
	}
	_, fills := c.auth.AfterConsent.Fill[name]
	v, _ := c.public(name)
	return fills && v == ""
}

// missingField is the error of a field the base URL needs and lacks; one
// that a consent fills says so.
func (c *connection) missingField(name string) error {
	if lk := c.auth.AfterConsent; lk != nil {
		if _, ok := lk.Fill[name]; ok {
			return junction.Invalid("fields."+name, "is required; it is filled when the connection is authorized, so authorize it (or type it)")
		}
	}
	return junction.Invalid("fields."+name, "is required")
}

// authOf finds the scheme credentials name, as bind does.
func (d *Definition) authOf(key string) *Auth {
	if key == "" && len(d.Auth) == 1 {
		return &d.Auth[0]
	}
	return d.AuthByID(key)
}
