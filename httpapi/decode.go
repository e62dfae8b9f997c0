package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"junction"
)

// decode reads the JSON body of r into v strictly: the body must be at most
// MaxBodyBytes long, be declared as JSON, hold exactly one value, and name
// only fields v has. An oversized body answers payload_too_large (413)
// whatever its type, so that a client learns the limit before it fixes the
// header; another type than JSON answers unsupported_media_type (415);
// broken JSON answers malformed_json (400); unknown fields and wrong types
// answer validation_failed (422) naming the field, and so does a NUL
// character anywhere in the body (nulField). It is the one place a JSON
// body is read: handlers that decode a member further (a connection's
// fields, an asset's value) do so from what it accepted.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) error {
	return s.decodeUpTo(w, r, v, s.opts.MaxBodyBytes)
}

// decodeUpTo is decode with its own body limit, for the one route that
// takes larger bodies (an API description to import).
func (s *Server) decodeUpTo(w http.ResponseWriter, r *http.Request, v any, limit int64) error {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return junction.Errorf(junction.EBADJSON, "a JSON request body is required")
	}
	if r.ContentLength > limit {
		return tooLarge(limit)
	}
	if !isJSON(r.Header.Get("Content-Type")) {
		// A body of undeclared length is read up to the limit: past it,
		// the size is what the client has to fix first.
		if r.ContentLength < 0 {
			var tooBig *http.MaxBytesError
			if _, err := io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, limit)); errors.As(err, &tooBig) {
				return tooLarge(limit)
			}
		}
		return junction.Errorf(junction.EUNSUPPORTEDMEDIA, "the request body must be sent as Content-Type: application/json")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		return s.decodeError(err)
	}
	if field, ok := nulField(body); ok {
		return junction.Invalid(field, "must not contain a NUL character (\\u0000)")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return s.decodeError(err)
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return junction.Errorf(junction.EBADJSON, "unexpected data after the JSON value")
	}
	return nil
}

// nulField returns the path (as in "input.body.name" or "roles[2]") of the
// first string or member name in the JSON text body holding a NUL
// character. JSON allows them, but PostgreSQL stores no NUL in text, and
// no name, value or identifier Junction keeps needs one; refusing them
// here, where the whole request is seen, keeps the two databases alike
// and every handler behind the same rule. A member name holding one is
// named with the NUL written as \u0000. Broken JSON reports nothing: the
// decoder says what is wrong with it.
func nulField(body []byte) (string, bool) {
	// Only the escape can put a NUL in a valid JSON string; most bodies
	// are done with here.
	if !bytes.Contains(body, []byte(`\u0000`)) {
		return "", false
	}
	type level struct {
		object  bool
		wantKey bool
		key     string
		index   int
	}
	var stack []level
	path := func() string {
		var b strings.Builder
		for _, l := range stack {
			if !l.object {
				b.WriteString("[" + strconv.Itoa(l.index) + "]")
				continue
			}
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(l.key)
		}
		return b.String()
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		top := len(stack) - 1
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:top]
			if top == 0 {
				return "", false
			}
			stack[top-1].wantKey = stack[top-1].object
			continue
		}
		if top >= 0 && stack[top].wantKey {
			key, _ := tok.(string)
			stack[top].key, stack[top].wantKey = strings.ReplaceAll(key, "\x00", `\u0000`), false
			if strings.IndexByte(key, 0) >= 0 {
				return path(), true
			}
			continue
		}
		if top >= 0 && !stack[top].object {
			stack[top].index++
		}
		switch t := tok.(type) {
		case json.Delim:
			stack = append(stack, level{object: t == '{', wantKey: t == '{', index: -1})
			continue
		case string:
			if strings.IndexByte(t, 0) >= 0 {
				return path(), true
			}
		}
		if top < 0 {
			return "", false
		}
		stack[top].wantKey = stack[top].object
	}
}

// checkParams refuses a path value or query parameter holding a NUL
// character (sent as %00), for the reason nulField gives for bodies.
func checkParams(r *http.Request, rt route) error {
	if strings.IndexByte(r.URL.Path, 0) >= 0 {
		for _, name := range rt.wildcards() {
			if strings.IndexByte(r.PathValue(name), 0) >= 0 {
				return junction.Invalid(name, "must not contain a NUL character (%%00)")
			}
		}
	}
	if !strings.Contains(r.URL.RawQuery, "%00") {
		return nil
	}
	q := r.URL.Query()
	for _, name := range slices.Sorted(maps.Keys(q)) {
		if strings.IndexByte(name, 0) >= 0 {
			return junction.Invalid(strings.ReplaceAll(name, "\x00", `\u0000`), "a query parameter's name must not contain a NUL character (%%00)")
		}
		for _, v := range q[name] {
			if strings.IndexByte(v, 0) >= 0 {
				return junction.Invalid(name, "must not contain a NUL character (%%00)")
			}
		}
	}
	return nil
}

func tooLarge(limit int64) error {
	return &junction.Error{Code: junction.ETOOLARGE,
		Message: fmt.Sprintf("the request body is larger than %d bytes", limit),
		Details: map[string]any{"limit_bytes": limit}}
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")
}

func (s *Server) decodeError(err error) error {
	var (
		tooBig    *http.MaxBytesError
		syntax    *json.SyntaxError
		wrongType *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &tooBig):
		return tooLarge(tooBig.Limit)
	case errors.As(err, &syntax):
		return junction.Errorf(junction.EBADJSON, "the body is not valid JSON (at byte %d)", syntax.Offset)
	case errors.Is(err, io.EOF):
		return junction.Errorf(junction.EBADJSON, "a JSON request body is required")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return junction.Errorf(junction.EBADJSON, "the body ends in the middle of a JSON value")
	case errors.As(err, &wrongType):
		// encoding/json describes a number it could not store with its
		// digits ("number 1e400"); the kind is enough, and the digits may
		// be a secret.
		got, _, _ := strings.Cut(wrongType.Value, " ")
		if wrongType.Field == "" {
			return junction.Invalid("", "the body must be %s, not %s", jsonKind(wrongType.Type.Kind().String()), got)
		}
		return junction.Invalid(wrongType.Field, "must be %s, not %s", jsonKind(wrongType.Type.Kind().String()), got)
	}
	// encoding/json reports unknown fields only as text.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		if f, uerr := strconv.Unquote(name); uerr == nil {
			name = f
		}
		return junction.Invalid(name, "is not a known field")
	}
	// Other decoding errors may quote the input, which can be a secret.
	return junction.Invalid("", "the body does not fit this operation")
}

// jsonKind names a Go kind as the JSON type a client has to send.
func jsonKind(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	case "float32", "float64":
		return "a number"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	}
	return "another type"
}

// writeJSON writes v as a JSON response.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return junction.Internal(fmt.Errorf("encode response: %w", err))
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
	return nil
}

// pageOf reads ?limit= and ?cursor=. A limit above the maximum is refused,
// not capped: a client that asked for 1,000 and silently got 500 would
// take the short page for the whole list.
func pageOf(r *http.Request) (junction.Page, error) {
	q := r.URL.Query()
	var p junction.Page
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > junction.MaxPageSize {
			return p, &junction.Error{Code: junction.EINVALID, Field: "limit",
				Message: fmt.Sprintf("must be an integer from 1 to %d", junction.MaxPageSize),
				Details: map[string]any{"max": junction.MaxPageSize}}
		}
		p.Limit = n
	}
	p.After = q.Get("cursor")
	return p.Normalize(), nil
}

// timeParam reads an RFC 3339 time from the query string.
func timeParam(r *http.Request, name string) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, junction.Invalid(name, "must be an RFC 3339 time such as 2025-01-31T12:00:00Z")
	}
	return t, nil
}

// timeRange reads ?since= and ?until=, the time range of lists that have
// one; either may be absent (the zero time).
func timeRange(r *http.Request) (since, until time.Time, err error) {
	if since, err = timeParam(r, "since"); err != nil {
		return time.Time{}, time.Time{}, err
	}
	if until, err = timeParam(r, "until"); err != nil {
		return time.Time{}, time.Time{}, err
	}
	return since, until, nil
}

// boolParam reads a true/false query parameter; absent or empty, it is def.
func boolParam(r *http.Request, name string, def bool) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, junction.Invalid(name, "must be true or false")
	}
	return b, nil
}
