package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"junction"
)

// errMethodNotAllowed is the code of the problem answering a known path
// with an unsupported method.
const errMethodNotAllowed = junction.EMETHODNOTALLOWED

// statusOf maps an error code to its HTTP status. It is the one place where
// that mapping lives; unknown codes are server errors.
func statusOf(code string) int {
	switch code {
	// A destination the private-network guard refuses is a request Junction
	// will not carry out, like any other rule the input breaks.
	case junction.EINVALID, junction.EOUTBOUNDBLOCKED:
		return http.StatusUnprocessableEntity
	// So is a request that would carry an asset's value to a host outside
	// its allowed hosts: the connection's configuration, not the caller's
	// rights, is at fault (403 would send people looking for a permission
	// that would not help), and nothing was sent.
	case junction.ECREDNOTALLOWED:
		return http.StatusUnprocessableEntity
	case junction.EBADJSON:
		return http.StatusBadRequest
	case junction.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case junction.EUNSUPPORTEDMEDIA:
		return http.StatusUnsupportedMediaType
	// credential_not_found is a 404 like any missing object; the code, not
	// the status, tells it from an unknown asset.
	case junction.ENOTFOUND, junction.ECREDNOTFOUND:
		return http.StatusNotFound
	// A write to a read-only store clashes with the store's configuration,
	// not with the request's form.
	case junction.ECONFLICT, junction.ECREDSTOREREADONLY:
		return http.StatusConflict
	case junction.EUNAUTHENTICATED:
		return http.StatusUnauthorized
	case junction.EPERMISSIONDENIED:
		return http.StatusForbidden
	case junction.EUNAVAILABLE, junction.ECREDSTOREUNAVAILABLE:
		return http.StatusServiceUnavailable
	// The upstream side failed: a vault refused Junction's login, an API
	// refused a connection's credentials, answered an error of its own
	// (details.source "provider" says so), or sent more than Junction reads.
	case junction.ECREDSTOREAUTH, junction.ECONNAUTHFAILED, junction.EPROVIDER, junction.ERESPONSETOOLARGE:
		return http.StatusBadGateway
	// Over a quota, like too many attempts, is a matter of waiting (the
	// month's reset, in Retry-After) or of a higher limit.
	case junction.ERATELIMITED, junction.EQUOTAEXCEEDED:
		return http.StatusTooManyRequests
	case errMethodNotAllowed:
		return http.StatusMethodNotAllowed
	default: // EINTERNAL, ESCHEMATOONEW, anything unknown
		return http.StatusInternalServerError
	}
}

// Problem is an RFC 9457 problem document with Junction's extension
// members.
type Problem struct {
	// Type is /errors/{code}, relative to the server: the page that
	// explains the code (cause, what to check, how to fix).
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	// Instance is the request path.
	Instance string `json:"instance,omitempty"`
	// Code is the stable error code clients match on.
	Code string `json:"code"`
	// Field names the input at fault, for validation errors.
	Field     string         `json:"field,omitempty"`
	RequestID string         `json:"request_id,omitempty"`
	Details   map[string]any `json:"details,omitempty"`
}

// writeError renders err as a problem document. Internal errors are logged
// with their cause and shown only as "internal error".
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := junction.ErrorCode(err)
	status := statusOf(code)
	p := Problem{
		Type:      junction.ErrorTypeURI(code),
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    junction.ErrorMessage(err),
		Instance:  redactHookPath(r.URL.Path),
		Code:      code,
		RequestID: requestIDFrom(r.Context()),
	}
	var e *junction.Error
	if errors.As(err, &e) {
		p.Field, p.Details = e.Field, e.Details
	}
	if status >= 500 {
		attrs := []slog.Attr{slog.String("code", code), slog.Any("error", err)}
		var unreachable *junction.StoreUnreachableError
		if errors.As(err, &unreachable) {
			// The message is the same for every unreachable store; the
			// cause is for the log only.
			attrs = append(attrs, slog.String("cause", unreachable.Error()), slog.Bool("refused_by_guard", unreachable.Blocked))
		}
		loggerFrom(r.Context()).LogAttrs(r.Context(), slog.LevelError, "request failed", attrs...)
		if code == junction.EINTERNAL || code == junction.ESCHEMATOONEW {
			p.Detail, p.Field, p.Details = "internal error", "", nil
		}
	}
	if secs, ok := p.Details["retry_after_seconds"].(int64); ok && status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	}
	body, merr := json.Marshal(p)
	if merr != nil {
		// Details held something unencodable; drop it rather than fail.
		p.Details = nil
		body, _ = json.Marshal(p)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
