package connector

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"junction"
)

// Response is what the execution engine received for a request: enough for
// pagination, record extraction and auth-failure checks, with no network
// types attached.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

func decodeJSON(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// TestSucceeded reports whether the response to the connection test (see
// BuildTest) proves the connection works: its status is one the test
// expects (any 2xx when it names none) and it is not an auth failure, which
// some APIs (Slack) answer with 200.
func (d *Definition) TestSucceeded(resp Response) bool {
	return d.testSucceeded(d.Test, resp)
}

// TestSucceededFor is TestSucceeded for the test of the scheme authKey
// (see TestFor).
func (d *Definition) TestSucceededFor(authKey string, resp Response) bool {
	return d.testSucceeded(d.TestFor(authKey), resp)
}

func (d *Definition) testSucceeded(t *TestRequest, resp Response) bool {
	ok := resp.StatusCode >= 200 && resp.StatusCode <= 299
	if t != nil && len(t.ExpectStatus) > 0 {
		ok = false
		for _, s := range t.ExpectStatus {
			ok = ok || s == resp.StatusCode
		}
	}
	return ok && !d.IsAuthFailure(resp)
}

// IsAuthFailure reports whether the response is the API saying the
// connection's credentials are not accepted, per the definition's
// auth_failure (status 401 when it says nothing).
func (d *Definition) IsAuthFailure(resp Response) bool {
	statuses := []int{http.StatusUnauthorized}
	var patterns []BodyMatch
	if af := d.AuthFailure; af != nil {
		if len(af.Status) > 0 {
			statuses = af.Status
		}
		patterns = af.Body
	}
	for _, s := range statuses {
		if resp.StatusCode == s {
			return true
		}
	}
	if len(patterns) == 0 {
		return false
	}
	doc, err := decodeJSON(resp.Body)
	if err != nil {
		return false
	}
	for _, p := range patterns {
		if matches(p, resp.StatusCode, doc) {
			return true
		}
	}
	return false
}

func matches(p BodyMatch, status int, doc any) bool {
	if len(p.Status) > 0 {
		ok := false
		for _, s := range p.Status {
			ok = ok || s == status
		}
		if !ok {
			return false
		}
	}
	for _, c := range p.Match {
		got, ok := lookupPath(doc, c.Path)
		if !ok {
			return false
		}
		hit := false
		for _, want := range c.Values {
			hit = hit || sameJSON(got, want)
		}
		if !hit {
			return false
		}
	}
	return len(p.Match) > 0
}

// sameJSON compares a decoded JSON value with a value written in YAML.
func sameJSON(got, want any) bool {
	switch g := got.(type) {
	case json.Number:
		w, ok := scalarText(want)
		if !ok {
			return false
		}
		gf, err1 := g.Float64()
		wf, err2 := strconv.ParseFloat(w, 64)
		return err1 == nil && err2 == nil && gf == wf
	case string, bool, nil:
		return got == want
	}
	return false
}

// Result returns the part of a response body the operation names in
// records: the list of records of a list operation, the record of the others.
func (r *Request) Result(body []byte) (any, error) {
	doc, path, err := r.answer(body)
	if err != nil {
		return nil, err
	}
	v, ok := lookupPath(doc, path)
	if !ok {
		return nil, junction.Errorf(junction.EPROVIDER, "response has no %q", path)
	}
	return v, nil
}

// answer decodes a response body and names where the operation's records
// are in it.
func (r *Request) answer(body []byte) (doc any, records string, err error) {
	doc, err = decodeJSON(body)
	if err != nil {
		return nil, "", junction.Errorf(junction.EPROVIDER, "response is not JSON")
	}
	if r.op != nil {
		records = r.op.Records
	}
	return doc, records, nil
}

// Outputs extracts the operation's declared outputs from a response body.
// Outputs absent from the body are left out.
func (r *Request) Outputs(body []byte) (map[string]any, error) {
	doc, err := decodeJSON(body)
	if err != nil {
		return nil, junction.Errorf(junction.EPROVIDER, "response is not JSON")
	}
	return r.outputsOf(doc), nil
}

func (r *Request) outputsOf(doc any) map[string]any {
	out := map[string]any{}
	if r.op == nil {
		return out
	}
	for _, o := range r.op.Outputs {
		if v, ok := lookupPath(doc, o.Path); ok {
			out[o.Name] = v
		}
	}
	return out
}

// PagesOutput is the output of an activity that read several pages: last,
// the body of the last page read, with the value at the activity's records
// path replaced by records, the records of every page in order, and then
// read as a one-page answer would be (its declared outputs, else its
// records). So an output naming the records holds them all, and the others
// (a total, a next-page token, has_more) say what the last page said, from
// where a caller can go on.
func (r *Request) PagesOutput(last []byte, records []any) (any, error) {
	doc, path, err := r.answer(last)
	if err != nil {
		return nil, err
	}
	if records == nil {
		records = []any{}
	}
	doc, ok := replacePath(doc, path, records)
	if !ok {
		return nil, junction.Errorf(junction.EPROVIDER, "response has no %q", path)
	}
	if r.op != nil && len(r.op.Outputs) > 0 {
		return r.outputsOf(doc), nil
	}
	return records, nil
}

// NextPage computes the request for the page after resp, the response to r.
// It reports false when there is none: the operation does not page, the
// response is not a success, or the response says it was the last page.
// A next-page URL from the API must stay under the base URL; credentials are
// never sent elsewhere.
func (r *Request) NextPage(resp Response) (*Request, bool, error) {
	if r.op == nil || r.op.Pagination == nil || resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, false, nil
	}
	pg := r.op.Pagination
	if pg.Type == PageLinkHeader {
		next := linkNext(resp.Header.Values("Link"))
		if next == "" {
			return nil, false, nil
		}
		return r.follow(next)
	}
	doc, err := decodeJSON(resp.Body)
	if err != nil {
		return nil, false, junction.Errorf(junction.EPROVIDER, "list response is not JSON")
	}
	if pg.HasMorePath != "" {
		if more, ok := lookupPath(doc, pg.HasMorePath); ok && more == false {
			return nil, false, nil
		}
	}
	if pg.EndPath != "" {
		if end, ok := lookupPath(doc, pg.EndPath); ok && end == true {
			return nil, false, nil
		}
	}
	switch pg.Type {
	case PageCursor:
		v, _ := lookupPath(doc, pg.NextCursorPath)
		cursor, ok := scalarText(v)
		if !ok || cursor == "" || cursor == r.cursor(pg) {
			return nil, false, nil
		}
		if pg.Continue != nil {
			next, err := r.continued(pg.Continue, cursor)
			return next, err == nil, err
		}
		next := r.clone()
		if pg.CursorIn == "body" {
			m, _ := r.bodyValue.(map[string]any)
			if err := next.setBody(withBodyPath(m, pg.CursorParam, cursor), r.bodyEncoding, r.op); err != nil {
				return nil, false, err
			}
		} else {
			next.setQuery(pg.CursorParam, cursor)
		}
		return next, true, nil
	case PageOffset, PageNumber:
		n, ok := r.recordCount(doc)
		if !ok || n == 0 {
			return nil, false, nil
		}
		if pg.HasMorePath == "" && pg.LimitParam != "" {
			if limit, err := strconv.Atoi(r.queryValue(pg.LimitParam)); err == nil && n < limit {
				return nil, false, nil
			}
		}
		next := r.clone()
		if pg.Type == PageOffset {
			cur, _ := strconv.Atoi(r.queryValue(pg.OffsetParam))
			next.setQuery(pg.OffsetParam, strconv.Itoa(cur+n))
		} else {
			cur, err := strconv.Atoi(r.queryValue(pg.PageParam))
			if err != nil {
				cur = startPage(pg)
			}
			if pg.MaxPage > 0 && cur >= pg.MaxPage {
				return nil, false, nil
			}
			next.setQuery(pg.PageParam, strconv.Itoa(cur+1))
		}
		return next, true, nil
	case PageNextURL:
		// Some APIs always give a next link (Mailgun's paging.next) and
		// end with an empty page.
		if n, ok := r.recordCount(doc); ok && n == 0 {
			return nil, false, nil
		}
		v, _ := lookupPath(doc, pg.NextURLPath)
		s, _ := v.(string)
		if s == "" {
			return nil, false, nil
		}
		return r.follow(s)
	}
	return nil, false, nil
}

func (r *Request) cursor(pg *Pagination) string {
	if pg.Continue != nil {
		return r.pageCursor
	}
	if pg.CursorIn == "body" {
		v, _ := lookupPath(r.bodyValue, pg.CursorParam)
		s, _ := scalarText(v)
		return s
	}
	return r.queryValue(pg.CursorParam)
}

// continued builds the page after r at the pagination's own endpoint
// (PageContinue): the method and path it names under r's base URL, a query
// of the auth type's credentials only, the headers r carried but its JSON
// headers (they hold inputs), and the body template filled with the cursor.
func (r *Request) continued(pc *PageContinue, cursor string) (*Request, error) {
	next := r.clone()
	next.Method = pc.HTTPMethod()
	u := *r.base
	raw := u.EscapedPath() + (&url.URL{Path: pc.Path}).EscapedPath()
	u.Path, _ = url.PathUnescape(raw)
	u.RawPath = raw
	u.RawQuery = r.authQuery.Encode()
	u.Fragment = ""
	next.URL = &u
	if r.op != nil {
		for name := range r.op.JSONHeaders {
			next.Header.Del(name)
		}
	}
	next.Header.Del("Content-Type")
	next.carriesFiles = false
	next.pageCursor = cursor
	body, _, _ := renderValue(pc.Body, func(name string) (any, bool) {
		return cursor, name == "cursor"
	}, 0)
	if err := next.setBody(body, BodyJSON, nil); err != nil {
		return nil, err
	}
	return next, nil
}

// withBodyPath returns a copy of body with the value at a dotted path
// ("pagination.starting_after"): APIs that page a search by a cursor nested
// in the request body beside its page size. The maps on the path are
// copied, so the request the copy came from keeps its body.
func withBodyPath(body map[string]any, path string, value any) map[string]any {
	key, rest, nested := strings.Cut(path, ".")
	out := make(map[string]any, len(body)+1)
	for k, v := range body {
		out[k] = v
	}
	if !nested {
		out[key] = value
		return out
	}
	inner, _ := out[key].(map[string]any)
	out[key] = withBodyPath(inner, rest, value)
	return out
}

func (r *Request) recordCount(doc any) (int, bool) {
	v, ok := lookupPath(doc, r.op.Records)
	if !ok {
		return 0, false
	}
	arr, ok := v.([]any)
	return len(arr), ok
}

// follow builds the request for a next-page URL given by the API, absolute
// or relative to the current request.
func (r *Request) follow(raw string) (*Request, bool, error) {
	ref, err := url.Parse(raw)
	if err != nil {
		return nil, false, junction.Errorf(junction.EPROVIDER, "next page link is not a valid URL")
	}
	u := r.URL.ResolveReference(ref)
	basePath := strings.TrimSuffix(r.base.EscapedPath(), "/")
	if u.Scheme != r.base.Scheme || u.Host != r.base.Host || u.User != nil ||
		(u.EscapedPath() != basePath && !strings.HasPrefix(u.EscapedPath(), basePath+"/")) {
		return nil, false, junction.Errorf(junction.EPROVIDER, "next page link leaves the connector's base URL %s", r.base.Redacted())
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == ".." {
			return nil, false, junction.Errorf(junction.EPROVIDER, "next page link leaves the connector's base URL")
		}
	}
	u.Fragment = ""
	if len(r.authQuery) > 0 {
		q := u.Query()
		for k, vs := range r.authQuery {
			q[k] = vs
		}
		u.RawQuery = q.Encode()
	}
	next := r.clone()
	next.URL = u
	return next, true, nil
}

// linkNext returns the rel="next" target of RFC 8288 Link header values.
func linkNext(values []string) string {
	for _, v := range values {
		for _, link := range splitLinks(v) {
			start := strings.IndexByte(link, '<')
			end := strings.IndexByte(link, '>')
			if start < 0 || end < start {
				continue
			}
			for _, param := range strings.Split(link[end+1:], ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(param), "=")
				if !ok || !strings.EqualFold(strings.TrimSpace(k), "rel") {
					continue
				}
				for _, rel := range strings.Fields(strings.Trim(strings.TrimSpace(val), `"`)) {
					if strings.EqualFold(rel, "next") {
						return link[start+1 : end]
					}
				}
			}
		}
	}
	return ""
}

// splitLinks splits a Link header on the commas between links, not those
// inside <...> or quotes.
func splitLinks(s string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			quoted = !quoted
		case c == '<' && !quoted:
			depth++
		case c == '>' && !quoted && depth > 0:
			depth--
		case c == ',' && depth == 0 && !quoted:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}
