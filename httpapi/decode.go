package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
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
// answer validation_failed (422) naming the field.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) error {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return junction.Errorf(junction.EBADJSON, "a JSON request body is required")
	}
	if r.ContentLength > s.opts.MaxBodyBytes {
		return tooLarge(s.opts.MaxBodyBytes)
	}
	if !isJSON(r.Header.Get("Content-Type")) {
		// A body of undeclared length is read up to the limit: past it,
		// the size is what the client has to fix first.
		if r.ContentLength < 0 {
			var tooBig *http.MaxBytesError
			if _, err := io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)); errors.As(err, &tooBig) {
				return tooLarge(s.opts.MaxBodyBytes)
			}
		}
		return junction.Errorf(junction.EUNSUPPORTEDMEDIA, "the request body must be sent as Content-Type: application/json")
	}
	body := http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return s.decodeError(err)
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return tooLarge(s.opts.MaxBodyBytes)
		}
		return junction.Errorf(junction.EBADJSON, "unexpected data after the JSON value")
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
		return tooLarge(s.opts.MaxBodyBytes)
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

// pageOf reads ?limit= and ?cursor=. A limit above the maximum is capped,
// not refused.
func pageOf(r *http.Request) (junction.Page, error) {
	q := r.URL.Query()
	var p junction.Page
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return p, junction.Invalid("limit", "must be a positive integer")
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
